// The esbuild options of Ledge's build (scripts/build.mjs), in a file of their own so that a benchmark can bundle an
// entry of its own exactly as the product is bundled (bench/edge-hub/bundle.ts) without running the build.

/** Bundles `@ledge/*` and relative imports; leaves every other bare import (npm packages, node:*) to Node. */
export const npmPackagesExternal = {
  name: 'npm-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@ledge/')) return undefined
      return { path: args.path, external: true }
    })
  },
}

/**
 * Options for esbuild's `build()`. npm packages stay external, so `outdir` must be inside the checkout: Node resolves
 * them from the output file's folder upwards (node_modules/).
 */
export function bundleOptions({ root, entryPoints, outdir }) {
  return {
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true, // what an entry imports lazily stays a chunk of its own, read only when imported
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    plugins: [npmPackagesExternal],
  }
}
