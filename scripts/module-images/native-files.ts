/**
 * The host files a FROM scratch image needs to run this machine's `node`: the binary itself and every shared library
 * `ldd` lists for it and for the native code the modules load (sharp's addon and its prebuilt libvips). The image
 * gets the same glibc, libstdc++ … as the host, so the binary runs there exactly as it runs here.
 */
import { execFileSync } from 'node:child_process'

/** Where node is inside the module images. */
export const NODE_IN_IMAGE = '/usr/bin/node'

/** The libraries one ELF file needs, by absolute host path (the dynamic loader included). */
export function sharedLibraries(elf: string): string[] {
  const out = execFileSync('ldd', [elf], { encoding: 'utf8' })
  const found: string[] = []
  for (const line of out.split('\n')) {
    // "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x…)" or, for the loader, "/lib64/ld-linux-x86-64.so.2 (0x…)".
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (m) found.push(m[1]!)
  }
  return found
}

/**
 * node and the system libraries of node and of `addons` (host path → path in the image). Libraries inside
 * node_modules (libvips, found through the addon's RPATH `$ORIGIN/…`) are left out: they travel with their npm
 * package, at the relative place the RPATH expects.
 */
export function nodeRuntimeFiles(addons: readonly string[] = []): Map<string, string> {
  const files = new Map<string, string>([[process.execPath, NODE_IN_IMAGE]])
  for (const elf of [process.execPath, ...addons]) {
    for (const lib of sharedLibraries(elf)) if (!lib.includes('/node_modules/')) files.set(lib, lib)
  }
  return files
}
