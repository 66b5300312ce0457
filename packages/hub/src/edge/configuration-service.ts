/**
 * Deployments to one edge device (`az iot edge set-modules`, REST `POST /devices/{id}/applyConfigurationContent`):
 * the content's `modulesContent` gives each module twin its desired properties: `$edgeAgent` (the modules to run),
 * `$edgeHub` (routes) and each custom module. Module identities that do not exist yet (the edge daemon creates them
 * when the agent starts the module) get their desired properties when they are created.
 */
import { MAX_TWIN_SECTION_BYTES, validateTwinDocument } from '@ledge/protocol'
import { errors } from '../errors.js'
import type { RegistryService } from '../registry/registry-service.js'
import type { TwinService } from '../twins/twin-service.js'

const DESIRED = 'properties.desired'

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Checks the shape every deployment has; every problem is reported at once. */
export function configurationContentProblems(body: unknown): string[] {
  if (!isObject(body)) return ['the body must be a JSON object with modulesContent']
  const content = body.modulesContent
  if (!isObject(content)) return ['modulesContent must be a JSON object: {"$edgeAgent": {"properties.desired": …}, "$edgeHub": …, …}']
  const problems: string[] = []
  for (const required of ['$edgeAgent', '$edgeHub']) {
    if (!(required in content)) problems.push(`modulesContent.${required} is missing: an edge deployment configures both system modules`)
  }
  for (const [moduleId, entry] of Object.entries(content)) {
    const path = `modulesContent.${moduleId}`
    if (!isObject(entry) || !isObject(entry[DESIRED])) {
      problems.push(`${path} must be {"properties.desired": {…}}`)
      continue
    }
    const extra = Object.keys(entry).filter((k) => k !== DESIRED)
    if (extra.length) problems.push(`${path} has ${extra.map((k) => `'${k}'`).join(', ')}: only "properties.desired" is allowed`)
    const desired = entry[DESIRED] as Record<string, unknown>
    const docErr = validateTwinDocument(Object.fromEntries(Object.entries(desired).filter(([k]) => !k.startsWith('$'))), `${path}.properties.desired`)
    if (docErr) problems.push(docErr)
    const size = Buffer.byteLength(JSON.stringify(desired))
    if (size > MAX_TWIN_SECTION_BYTES) problems.push(`${path}.properties.desired is ${size} bytes, more than the twin limit of ${MAX_TWIN_SECTION_BYTES}`)
  }
  return problems
}

export class ConfigurationService {
  constructor(
    private readonly d: {
      registry: RegistryService
      twins: TwinService
      /** Further checks of the content (the deployment manifest schema), problems named with their JSON path. */
      validate?: (body: unknown) => string[]
    },
  ) {}

  async applyToDevice(deviceId: string, body: unknown): Promise<void> {
    const device = await this.d.registry.getRecord(deviceId)
    if (!device) throw errors.deviceNotFound(deviceId)
    if (!device.capabilities.iotEdge) throw errors.argumentInvalid(`device '${deviceId}' is not an IoT Edge device: create it with capabilities.iotEdge (--edge-enabled)`)
    const problems = configurationContentProblems(body)
    if (problems.length === 0 && this.d.validate) problems.push(...this.d.validate(body))
    if (problems.length > 0) throw errors.argumentInvalid(`the deployment is not valid: ${problems.join('. ')}`)
    const content = (body as { modulesContent: Record<string, Record<string, Record<string, unknown>>> }).modulesContent
    const desiredByModule = Object.fromEntries(Object.entries(content).map(([m, e]) => [m, e[DESIRED]!]))
    await this.writeModulesContent(deviceId, desiredByModule)
  }

  /**
   * Writes validated desired properties (per module) to the device's module twins and keeps them for modules created
   * later. Automatic deployments (deployments/) call it with the content they composed and checked themselves.
   */
  async writeModulesContent(deviceId: string, desiredByModule: Record<string, Record<string, unknown>>): Promise<void> {
    await this.d.registry.mutate(deviceId, null, (r) => ({ ...r, modulesContent: desiredByModule }))
    // $edgeAgent last: by the time the agent sees the new deployment, its modules' twins are in place.
    const order = Object.keys(desiredByModule).sort((a, b) => (a === '$edgeAgent' ? 1 : b === '$edgeAgent' ? -1 : 0))
    for (const moduleId of order) {
      if (!(await this.d.registry.getRecord(deviceId, moduleId))) continue
      await this.d.twins.replace(deviceId, moduleId, { properties: { desired: desiredByModule[moduleId] } }, undefined)
    }
  }
}
