/**
 * How a device's deployments combine: the base deployment gives each module its whole desired properties; layered
 * deployments, lowest priority first, then set paths inside them (`properties.desired.modules.camera` in `$edgeAgent`,
 * `properties.desired.routes.up` in `$edgeHub`) or replace a module's whole `properties.desired`, as Azure's layered
 * deployments do.
 */
export const DESIRED = 'properties.desired'
const DESIRED_PREFIX = `${DESIRED}.`

export type ModulesContent = Record<string, Record<string, unknown>>
/** Desired properties per module id: what goes into each module twin. */
export type DesiredByModule = Record<string, Record<string, unknown>>

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The segments of a layered key, `properties.desired.modules.camera` → ['modules', 'camera']; [] for the whole. */
export function layeredPath(key: string): string[] | undefined {
  if (key === DESIRED) return []
  if (!key.startsWith(DESIRED_PREFIX)) return undefined
  return key.slice(DESIRED_PREFIX.length).split('.')
}

/** True when some module entry sets paths inside `properties.desired`: only layered deployments may. */
export function hasLayeredPaths(content: ModulesContent): boolean {
  return Object.values(content).some((entry) => Object.keys(entry).some((k) => k.startsWith(DESIRED_PREFIX)))
}

function setPath(target: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let node = target
  for (const s of segments.slice(0, -1)) {
    const next = node[s]
    node = node[s] = isObject(next) ? { ...next } : {}
  }
  node[segments[segments.length - 1]!] = structuredClone(value)
}

/** The base's desired properties with the layers applied in order; the inputs are not changed. */
export function composeDesired(base: ModulesContent, layers: readonly ModulesContent[]): DesiredByModule {
  const out: DesiredByModule = {}
  for (const [moduleId, entry] of Object.entries(base)) out[moduleId] = structuredClone(entry[DESIRED] as Record<string, unknown>)
  for (const layer of layers) {
    for (const [moduleId, entry] of Object.entries(layer)) {
      // The whole document first, so that a layer giving both replaces then refines.
      const keys = Object.keys(entry).sort((a, b) => a.length - b.length)
      for (const key of keys) {
        const path = layeredPath(key)
        if (!path) continue
        if (path.length === 0) out[moduleId] = structuredClone(entry[key] as Record<string, unknown>)
        else {
          // Copy-on-write along the path: `out` shares nothing with the inputs, but nested objects are cloned once.
          const desired = (out[moduleId] = { ...(out[moduleId] ?? {}) })
          setPath(desired, path, entry[key])
        }
      }
    }
  }
  return out
}

/** The desired properties back in the shape of a deployment manifest's modulesContent. */
export function toModulesContent(desired: DesiredByModule): ModulesContent {
  return Object.fromEntries(Object.entries(desired).map(([m, d]) => [m, { [DESIRED]: d }]))
}
