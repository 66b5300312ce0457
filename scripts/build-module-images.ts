#!/usr/bin/env node
// Builds the crowd-analytics modules as container images with the local Docker engine: `ledge/camera:<version>` and
// `ledge/face-detector:<version>`, FROM scratch with this machine's node (no base image, no registry). An image whose
// inputs (sources, node_modules, node, samples, Dockerfile) have not changed since it was built is kept as it is.
//
// Usage: npm run build:images [-- camera|face-detector ...]   (LEDGE_DOCKER_URI: the engine, default the local socket)
// Needs `npm install` and the camera's samples (node scripts/ensure-installed.mjs makes both).
import { connect } from '@ledge/runtime-docker'
import { buildModuleImages, MODULES, type ModuleName } from './module-images/index.js'

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`

const wanted = process.argv.slice(2)
const unknown = wanted.filter((m) => !(MODULES as readonly string[]).includes(m))
if (unknown.length) {
  console.error(`unknown module ${unknown.join(', ')}: expected ${MODULES.join(', ')}`)
  process.exit(2)
}
const docker = connect(process.env.LEDGE_DOCKER_URI)
const images = await buildModuleImages(docker, { modules: wanted.length ? (wanted as ModuleName[]) : MODULES, log: (l) => console.error(l) })
for (const i of images) {
  const [runtime = 0, native = 0, app = 0] = i.layerBytes
  console.log(`${i.tag} ${i.built ? 'built' : 'up to date'} in ${i.ms} ms: ${mb(i.bytes)} (runtime ${mb(runtime)}, native ${mb(native)}, app ${mb(app)}) ${i.id.slice(0, 19)}`)
}
// Layers with the same content are stored once: what all the images take together.
const unique = new Map<string, number>()
for (const i of images) i.layers.forEach((digest, n) => unique.set(digest, i.layerBytes[n] ?? 0))
if (images.length > 1) console.log(`together ${mb([...unique.values()].reduce((a, b) => a + b, 0))} (${unique.size} distinct layers)`)
