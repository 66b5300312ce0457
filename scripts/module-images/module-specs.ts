/**
 * The crowd-analytics module images: what each one holds. Both are `/app/main.mjs` (the module bundled by esbuild)
 * run by this machine's node, with sharp and its prebuilt libvips copied from node_modules; `/app/package.json`
 * names the package, so the module finds its own folder (`packageDir('@ledge/module-camera')` → `/app`) as it does
 * in the repository.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleModule } from './bundle.js'
import { addHostFiles, emptyLayers, type ImageContext } from './image-context.js'
import { nodeRuntimeFiles } from './native-files.js'
import { dependencyClosure, filesUnder, packageAssets, packageFiles, packageFolder } from './npm-files.js'

export const MODULES = ['camera', 'face-detector'] as const
export type ModuleName = (typeof MODULES)[number]

/** Packages with native code: never bundled, copied whole. `@img/sharp-*` are sharp's optional dependencies. */
const NATIVE = ['sharp', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64']

/** The sample frames the camera ships (prepare-samples.mjs makes them; `.cache` holds its downloads). */
const SAMPLE_ENTRIES = ['mixed', 'faces', 'empty', 'corrupt', 'labels.json']

/** The face-api models the detector loads (`tiny`, `ssd`); the other nets are not used. */
const FACE_MODELS = ['tiny_face_detector_model', 'ssd_mobilenetv1_model']

interface ModulePackage {
  name: string
  version: string
}

function modulePackage(root: string, module: ModuleName): ModulePackage {
  return JSON.parse(readFileSync(join(root, 'modules', module, 'package.json'), 'utf8')) as ModulePackage
}

/** The package.json inside the image: the module's name, so that self-resolution finds /app. */
function imagePackageJson(pkg: ModulePackage): string {
  return `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module', exports: { '.': './main.mjs' } }, null, 1)}\n`
}

function nativeLayer(root: string, layers: ImageContext['layers']): void {
  const folders = new Set<string>()
  for (const name of NATIVE) dependencyClosure(name, root, folders)
  addHostFiles(layers.native, packageFiles(root, folders))
}

function runtimeLayer(root: string, layers: ImageContext['layers']): void {
  const addon = join(packageFolder('@img/sharp-linux-x64', root), 'lib', 'sharp-linux-x64.node')
  addHostFiles(layers.runtime, nodeRuntimeFiles([addon]))
  // Some libraries write temporary files; a scratch image has no /tmp.
  layers.runtime.set('/tmp/.keep', { content: '' })
}

/** The camera: the module, and the sample frames under /app/samples (its default `source` is `samples/mixed`). */
async function camera(root: string, layers: ImageContext['layers']): Promise<void> {
  const samples = join(root, 'modules', 'camera', 'samples')
  for (const entry of SAMPLE_ENTRIES) {
    const p = join(samples, entry)
    for (const f of entry.endsWith('.json') ? [p] : filesUnder(p)) layers.app.set(join('/app/samples', f.slice(samples.length)), { host: f })
  }
  const code = await bundleModule({ root, entries: { 'main.mjs': 'modules/camera/src/main.ts' }, external: NATIVE })
  for (const [name, text] of code) layers.app.set(`/app/${name}`, { content: text })
}

/**
 * The face detector: the module and its worker thread (`worker-entry.mjs` beside `main.mjs`, where the worker pool
 * looks for it), plus the data the bundled TensorFlow.js and face-api read from disk at the places they resolve:
 * the wasm binaries and the two detectors' weights.
 */
async function faceDetector(root: string, layers: ImageContext['layers']): Promise<void> {
  const wasmDir = join(packageFolder('@tensorflow/tfjs-backend-wasm', root), 'dist')
  const wasm = filesUnder(wasmDir).filter((f) => f.endsWith('.wasm')).map((f) => `dist/${f.slice(wasmDir.length + 1)}`)
  addHostFiles(layers.app, packageAssets(root, '@tensorflow/tfjs-backend-wasm', root, wasm))
  const models = FACE_MODELS.flatMap((m) => [`model/${m}-weights_manifest.json`, `model/${m}.bin`])
  addHostFiles(layers.app, packageAssets(root, '@vladmandic/face-api', root, models))
  const code = await bundleModule({
    root,
    entries: { 'main.mjs': 'modules/face-detector/src/main.ts', 'worker-entry.mjs': 'modules/face-detector/src/detector/worker.ts' },
    external: NATIVE,
  })
  for (const [name, text] of code) layers.app.set(`/app/${name}`, { content: text })
}

/** Everything one module image holds, and its tag (`ledge/<module>:<package version>`). */
export async function moduleImageContext(root: string, module: ModuleName): Promise<ImageContext> {
  const pkg = modulePackage(root, module)
  const layers = emptyLayers()
  runtimeLayer(root, layers)
  nativeLayer(root, layers)
  layers.app.set('/app/package.json', { content: imagePackageJson(pkg) })
  if (module === 'camera') await camera(root, layers)
  else await faceDetector(root, layers)
  return { tag: `ledge/${module}:${pkg.version}`, dockerfile: readFileSync(join(root, 'modules', module, 'Dockerfile'), 'utf8'), layers }
}
