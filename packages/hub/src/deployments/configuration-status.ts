/**
 * The `configurations` section of an edge device's module twins, IoT Hub's record of which automatic deployments
 * concern each twin: `{ "<id>": { "status": "Targeted" | "Applied" } }`.
 *
 * As IoT Hub keeps it for edge deployments (Azure/iotedge `doc/reported_states_during_deployment.md`): every deployment
 * whose target condition matches the device is listed on the `$edgeAgent` twin, which the system metrics query
 * (`SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[id]].status = 'Applied'`),
 * and on the twin of every other module its `modulesContent` addresses (`$edgeHub`, a module given desired
 * properties). `Applied` when the deployment's content is part of what the device was given (the winning base, or a
 * layer that fitted on it), `Targeted` when it matches but lost on priority. Device twins carry no section: edge
 * deployments write module twins only.
 */
import type { ConfigurationStatus, TwinConfigurations } from '@ledge/protocol'
import type { ConfigurationRecord } from '@ledge/storage'

const EDGE_AGENT = '$edgeAgent'

/**
 * The section per module id, for the deployments that target a device (`targeted`) and those applied to it.
 * A module id absent from the result gets no section.
 */
export function configurationsByModule(targeted: readonly ConfigurationRecord[], applied: ReadonlySet<string>): Map<string, TwinConfigurations> {
  const out = new Map<string, TwinConfigurations>()
  const add = (moduleId: string, id: string, status: ConfigurationStatus): void => {
    let section = out.get(moduleId)
    if (!section) out.set(moduleId, (section = {}))
    section[id] = { status }
  }
  for (const r of targeted) {
    const status: ConfigurationStatus = applied.has(r.id) ? 'Applied' : 'Targeted'
    add(EDGE_AGENT, r.id, status)
    for (const moduleId of Object.keys(r.modulesContent)) if (moduleId !== EDGE_AGENT) add(moduleId, r.id, status)
  }
  return out
}
