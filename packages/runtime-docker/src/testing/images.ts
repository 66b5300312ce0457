/**
 * Test images built locally (no registry can be reached): `FROM scratch` with this machine's `node` binary and the
 * shared libraries `ldd` lists, plus whatever files a test adds. Tags are content hashes, so an image is built once
 * and reused by every later test run. The repository part of the tag names a loopback registry that refuses
 * connections (`127.0.0.1:9/…`): a pull attempt (imagePullPolicy on-create) fails at once and never leaves the machine.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import type Docker from 'dockerode'
import { localImageId } from '../images.js'

export const TEST_REGISTRY = '127.0.0.1:9/ledge-test'
/** Where node is inside the test images. */
export const NODE_IN_IMAGE = '/usr/bin/node'

export interface NodeImageOptions {
  /** Image name under {@link TEST_REGISTRY}. */
  name: string
  /** Extra files: path inside the image → content. */
  files?: Record<string, string | Buffer>
  /** More Dockerfile lines (HEALTHCHECK, ENV, CMD …) after `ENTRYPOINT ["/usr/bin/node"]`. */
  dockerfile?: string[]
}

/** The node binary and its libraries (host path → path in the image). */
function nodeFiles(): Map<string, string> {
  const node = process.execPath
  const files = new Map<string, string>([[node, NODE_IN_IMAGE]])
  const out = execFileSync('ldd', [node], { encoding: 'utf8' })
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (m) files.set(m[1]!, m[1]!)
  }
  return files
}

/** Builds (once) a node image and returns its reference. */
export async function buildNodeImage(docker: Docker, o: NodeImageOptions): Promise<string> {
  const host = nodeFiles()
  const dockerfile = ['FROM scratch', 'COPY rootfs/ /', `ENTRYPOINT ["${NODE_IN_IMAGE}"]`, ...(o.dockerfile ?? [])].join('\n') + '\n'
  const hash = createHash('sha256').update(dockerfile)
  for (const [from, to] of [...host].sort()) {
    const s = await stat(from)
    hash.update(`${from}:${to}:${s.size}:${s.mtimeMs}\n`)
  }
  for (const [path, content] of Object.entries(o.files ?? {}).sort(([a], [b]) => a.localeCompare(b))) hash.update(`${path}\n`).update(content)
  const ref = `${TEST_REGISTRY}/${o.name}:${hash.digest('hex').slice(0, 16)}`
  if (await localImageId(docker, ref)) return ref

  const context = await mkdtemp(join(tmpdir(), 'ledge-image-'))
  try {
    const rootfs = join(context, 'rootfs')
    for (const [from, to] of host) {
      await mkdir(dirname(join(rootfs, to)), { recursive: true })
      await copyFile(from, join(rootfs, to))
    }
    for (const [path, content] of Object.entries(o.files ?? {})) {
      await mkdir(dirname(join(rootfs, path)), { recursive: true })
      await writeFile(join(rootfs, path), content)
    }
    await mkdir(join(rootfs, 'tmp'), { recursive: true })
    await writeFile(join(rootfs, 'tmp', '.keep'), '')
    await writeFile(join(context, 'Dockerfile'), dockerfile)
    const src = (await listFiles(context)).map((f) => relative(context, f))
    const stream = await docker.buildImage({ context, src }, { t: ref, rm: true, forcerm: true })
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
        const failed = output?.find((x) => x.error)
        if (err || failed) reject(err ?? new Error(`building ${ref}: ${failed!.error}`))
        else resolve()
      })
    })
  } finally {
    await rm(context, { recursive: true, force: true })
  }
  return ref
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await listFiles(p)))
    else out.push(p)
  }
  return out
}

/** Bundles a CommonJS module (and what it requires: the Azure IoT SDK) into one file to put in an image. */
export async function bundle(entry: string): Promise<string> {
  const { build } = await import('esbuild')
  const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent' })
  return r.outputFiles[0]!.text
}
