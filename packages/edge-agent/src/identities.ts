/**
 * Module identities through the daemon's `/identities` (iotedge `ModuleIdentityLifecycleManager`): before a plan
 * creates or updates modules, each of them gets an identity (`$edgeHub` for edgeHub); identities of removed modules
 * that the edge manages (`managedBy: IotEdge`) are deleted first, to stay under the hub's limits. The daemon keeps
 * the keys and the generation ids, and puts `IOTEDGE_MODULEGENERATIONID` into the module's env itself.
 */
import type { Logger } from '@ledge/common'
import type { Identity } from '@ledge/protocol'
import type { CurrentModule, DesiredModule } from './model.js'
import { EDGE_AGENT, identityName, moduleNameOf } from './model.js'
import { diff, type ModuleSet } from './module-set.js'
import type { ModuleManagement } from './module-management.js'
import { MANAGED_BY } from './management-client.js'

const SYSTEM_IDENTITIES = new Set(['$edgeAgent', '$edgeHub'])

export class IdentityManager {
  constructor(private readonly d: { management: ModuleManagement; log: Logger }) {}

  /** The identities by module name, after creating the missing ones; empty when nothing is to be created. */
  async reconcile(desired: ModuleSet<DesiredModule>, current: ModuleSet<CurrentModule>, signal?: AbortSignal): Promise<ReadonlyMap<string, Identity>> {
    const d = diff(desired.without(EDGE_AGENT), current.without(EDGE_AGENT))
    const wanted = [...d.added.map((m) => m.name), ...d.updated.map((p) => p.desired.name)].map(identityName)
    const removed = d.removed.map((m) => identityName(m.name)).filter((id) => !SYSTEM_IDENTITIES.has(id))
    if (wanted.length === 0 && removed.length === 0) return new Map()

    const byId = new Map((await this.d.management.listIdentities(signal)).map((i) => [i.moduleId, i]))
    for (const id of removed) {
      const identity = byId.get(id)
      if (identity && identity.managedBy.toLowerCase() === MANAGED_BY.toLowerCase()) {
        await this.d.management.deleteIdentity(id, signal)
        byId.delete(id)
        this.d.log.info({ event: 'identity.deleted', moduleId: id }, `deleted module identity ${id}`)
      }
    }
    for (const id of wanted) {
      const existing = byId.get(id)
      if (!existing) {
        byId.set(id, await this.d.management.createIdentity(id, signal))
        this.d.log.info({ event: 'identity.created', moduleId: id }, `created module identity ${id}`)
      } else if (id !== '$edgeAgent' && existing.managedBy.toLowerCase() !== MANAGED_BY.toLowerCase()) {
        byId.set(id, await this.d.management.updateIdentity(id, signal))
      }
    }
    return new Map([...byId.values()].map((i) => [moduleNameOf(i.moduleId), i]))
  }
}
