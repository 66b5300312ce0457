// Types for bundle-options.mjs (plain JavaScript: scripts/build.mjs runs before anything can compile TypeScript).
import type { BuildOptions, Plugin } from 'esbuild'

export declare const npmPackagesExternal: Plugin
export declare function bundleOptions(o: { root: string; entryPoints: Record<string, string>; outdir: string }): BuildOptions & { metafile: true }
