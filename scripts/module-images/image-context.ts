/**
 * What goes into a module image, before anything is copied: for each layer, the path of every file in the image and
 * where its bytes come from (a host file, or text made here such as a bundle). The layers are the Dockerfile's COPY
 * steps, most shared first: `runtime` (node and system libraries: the same in every module image, so the engine
 * stores it once), `native` (native npm packages: sharp and its libvips), `app` (the module's own files).
 */
import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'

export const LAYERS = ['runtime', 'native', 'app'] as const
export type Layer = (typeof LAYERS)[number]

/** A file's bytes: a host file, or content made by the build. */
export type Source = { host: string } | { content: string | Buffer }

export interface ImageContext {
  /** `ledge/<module>:<version>`. */
  tag: string
  /** The Dockerfile (the module's `modules/<m>/Dockerfile`). */
  dockerfile: string
  /** Layer → absolute path in the image → source. */
  layers: Record<Layer, Map<string, Source>>
}

export function emptyLayers(): Record<Layer, Map<string, Source>> {
  return { runtime: new Map(), native: new Map(), app: new Map() }
}

/** Adds host files (host path → path in the image) to a layer. */
export function addHostFiles(layer: Map<string, Source>, files: Map<string, string>): void {
  for (const [host, inImage] of files) layer.set(inImage, { host })
}

/**
 * The image's cache key: a hash of the Dockerfile and every file's place, and of each host file's size and mtime
 * (as `make` judges staleness; reading 100 MB of node on every run would cost more than it saves) or each made
 * file's content. Same key, same image: the build is skipped.
 */
export function contextKey(c: ImageContext): string {
  const hash = createHash('sha256').update(c.tag).update('\0').update(c.dockerfile)
  for (const layer of LAYERS) {
    for (const [path, src] of [...c.layers[layer]].sort(([a], [b]) => a.localeCompare(b))) {
      hash.update(`\0${layer}:${path}:`)
      if ('host' in src) {
        const s = statSync(src.host)
        hash.update(`${src.host}:${s.size}:${s.mtimeMs}`)
      } else {
        hash.update(src.content)
      }
    }
  }
  return hash.digest('hex')
}

/** The size in bytes of everything in the context. */
export function contextBytes(c: ImageContext): number {
  let n = 0
  for (const layer of LAYERS) {
    for (const src of c.layers[layer].values()) n += 'host' in src ? statSync(src.host).size : Buffer.byteLength(src.content)
  }
  return n
}
