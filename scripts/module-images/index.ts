/**
 * Builds the crowd-analytics module images (`ledge/camera`, `ledge/face-detector`) with a local Docker engine, from
 * this checkout, with no registry: see scripts/build-module-images.ts and the modules' Dockerfiles.
 */
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import { buildImage, type BuiltImage } from './build-image.js'
import { MODULES, moduleImageContext, type ModuleName } from './module-specs.js'

export { INPUTS_LABEL, type BuiltImage } from './build-image.js'
export { MODULES, type ModuleName } from './module-specs.js'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface BuildModuleImagesOptions {
  modules?: readonly ModuleName[]
  log?: (line: string) => void
}

/** Builds each module's image unless an image built from the same inputs is already tagged; one after the other. */
export async function buildModuleImages(docker: Docker, o: BuildModuleImagesOptions = {}): Promise<BuiltImage[]> {
  const out: BuiltImage[] = []
  for (const module of o.modules ?? MODULES) {
    const started = Date.now()
    const built = await buildImage(docker, await moduleImageContext(REPO_ROOT, module), o.log)
    out.push({ ...built, ms: Date.now() - started }) // bundling included
  }
  return out
}
