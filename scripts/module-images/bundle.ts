/**
 * A module's TypeScript entry bundled into one ES module file for its image: the module's sources, `@ledge/*`
 * packages and every pure-JavaScript npm package (the Azure IoT SDK, pino, zod, TensorFlow.js, face-api) go in, so
 * the image carries a few MB of code instead of node_modules (TensorFlow.js alone is 290 MB there). Packages named
 * in `external` (native code: sharp) stay imports that Node resolves from the image's node_modules.
 */
import { readFile } from 'node:fs/promises'
import { build, type Plugin } from 'esbuild'

/**
 * The modules load CommonJS packages through `const require = createRequire(import.meta.url)` (the Azure SDK,
 * TensorFlow.js). esbuild does not follow calls of a local `require`, so they would stay runtime requires of
 * packages the image does not have. Dropping that one line makes them calls of the free `require`, which esbuild
 * bundles; what it cannot bundle (`require.resolve`, node built-ins inside CommonJS packages) goes to the `require`
 * the banner below defines. Only the workspace's own sources are rewritten, never an npm package.
 */
const LOCAL_REQUIRE = /^const require = createRequire\(import\.meta\.url\)$/m

function bundleLocalRequires(root: string): Plugin {
  return {
    name: 'bundle-local-requires',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(root) || args.path.includes('/node_modules/')) return undefined
        const text = await readFile(args.path, 'utf8')
        return { contents: text.replace(LOCAL_REQUIRE, '/* require: bundled by esbuild (scripts/module-images/bundle.ts) */'), loader: 'ts' }
      })
    },
  }
}

/** CommonJS code bundled into an ES module still reaches for `require`, `__filename` and `__dirname`. */
const CJS_GLOBALS = [
  "import { createRequire as __ledgeCreateRequire } from 'node:module'",
  "import { fileURLToPath as __ledgeFileURLToPath } from 'node:url'",
  "import { dirname as __ledgeDirname } from 'node:path'",
  'const require = __ledgeCreateRequire(import.meta.url)',
  'const __filename = __ledgeFileURLToPath(import.meta.url)',
  'const __dirname = __ledgeDirname(__filename)',
].join('\n')

export interface BundleOptions {
  /** The repository root (only files under it are rewritten). */
  root: string
  /** Output file name → entry source, e.g. `{ 'main.mjs': 'modules/camera/src/main.ts' }`. */
  entries: Record<string, string>
  /** npm packages left as imports (their files must be in the image). */
  external: readonly string[]
}

/** The bundled files by output name. Deterministic: the same sources give the same bytes (the image cache key). */
export async function bundleModule(o: BundleOptions): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const [name, entry] of Object.entries(o.entries)) {
    const r = await build({
      absWorkingDir: o.root,
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      // Not minified: on an uncaught error node prints the throwing line, and a minified line is a whole library.
      legalComments: 'none',
      banner: { js: CJS_GLOBALS },
      external: [...o.external],
      logLevel: 'error',
      plugins: [bundleLocalRequires(o.root)],
    })
    out.set(name, r.outputFiles[0]!.text)
  }
  return out
}
