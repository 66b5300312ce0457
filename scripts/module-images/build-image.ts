/**
 * Builds one image from an {@link ImageContext} with the Docker engine, or keeps the one already there when its
 * `ledge.inputs` label holds the context's key (nothing changed since it was built).
 *
 * The context is staged in a temporary folder: `Dockerfile`, then `runtime/`, `native/`, `app/` holding each layer's
 * files at their paths in the image. Every staged file and folder gets the same fixed mtime, so a layer's tar depends
 * only on its content: the `runtime` layer of two module images is byte for byte the same and the engine stores it
 * once.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import type Docker from 'dockerode'
import { contextBytes, contextKey, LAYERS, type ImageContext } from './image-context.js'

/** The label holding the key of the inputs an image was built from. */
export const INPUTS_LABEL = 'ledge.inputs'
/** 2000-01-01T00:00:00Z: any constant does. */
const FIXED_MTIME = new Date(946_684_800_000)

export interface BuiltImage {
  tag: string
  id: string
  /** Whether this call built it (false: the image with the same inputs was already there). */
  built: boolean
  /** The image's size as the engine counts it (all its layers). */
  bytes: number
  /** The size of each of its non-empty layers, oldest (`runtime`) first. */
  layerBytes: number[]
  /** The layers' content digests, oldest first: module images with the same first digest share that layer. */
  layers: string[]
  ms: number
}

async function stage(c: ImageContext, dir: string): Promise<void> {
  await writeFile(join(dir, 'Dockerfile'), c.dockerfile)
  for (const layer of LAYERS) {
    for (const [path, src] of c.layers[layer]) {
      const to = join(dir, layer, path)
      await mkdir(dirname(to), { recursive: true })
      if ('host' in src) await copyFile(src.host, to)
      else await writeFile(to, src.content)
    }
  }
}

/** Sets every entry's times to {@link FIXED_MTIME}; returns the files (for the build request), relative to `dir`. */
async function pinTimes(dir: string, base = dir): Promise<string[]> {
  const files: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) files.push(...(await pinTimes(p, base)))
    else files.push(relative(base, p))
    await utimes(p, FIXED_MTIME, FIXED_MTIME)
  }
  return files
}

async function inputsOf(docker: Docker, tag: string): Promise<{ id: string; key?: string } | undefined> {
  try {
    const i = await docker.getImage(tag).inspect()
    return { id: i.Id, key: i.Config?.Labels?.[INPUTS_LABEL] }
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined
    throw err
  }
}

async function sizes(docker: Docker, tag: string): Promise<Pick<BuiltImage, 'bytes' | 'layerBytes' | 'layers'>> {
  const i = await docker.getImage(tag).inspect()
  const history = (await docker.getImage(tag).history()) as { Size: number }[]
  return { bytes: i.Size, layerBytes: history.filter((h) => h.Size > 0).map((h) => h.Size).reverse(), layers: i.RootFS?.Layers ?? [] }
}

function followBuild(docker: Docker, stream: NodeJS.ReadableStream, tag: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((x) => x.error)
      if (err || failed) reject(err ?? new Error(`building ${tag}: ${failed!.error}`))
      else resolve()
    })
  })
}

/** Builds `c` unless the image with the same inputs is there. */
export async function buildImage(docker: Docker, c: ImageContext, log: (line: string) => void = () => undefined): Promise<BuiltImage> {
  const started = Date.now()
  const key = contextKey(c)
  const existing = await inputsOf(docker, c.tag)
  if (existing?.key === key) return { tag: c.tag, id: existing.id, built: false, ...(await sizes(docker, c.tag)), ms: Date.now() - started }

  const dir = await mkdtemp(join(tmpdir(), 'ledge-module-image-'))
  try {
    log(`${c.tag}: staging ${(contextBytes(c) / 1e6).toFixed(1)} MB`)
    await stage(c, dir)
    const src = await pinTimes(dir)
    const stream = await docker.buildImage({ context: dir, src }, { t: c.tag, labels: { [INPUTS_LABEL]: key }, rm: true, forcerm: true })
    await followBuild(docker, stream, c.tag)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  const built = await inputsOf(docker, c.tag)
  if (built?.key !== key) throw new Error(`building ${c.tag}: the engine has no image with inputs ${key}`)
  return { tag: c.tag, id: built.id, built: true, ...(await sizes(docker, c.tag)), ms: Date.now() - started }
}
