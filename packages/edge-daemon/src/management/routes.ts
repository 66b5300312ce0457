/**
 * The management API's routes (managementVersion 2022-08-03, reference: azure-iotedge.md §3). The same router serves
 * both sockets; on the public one the agent-only routes (create, update, delete, prepareupdate, identities) answer 403.
 */
import type { Identity, IdentityList, ModuleList } from '@ledge/protocol'
import { errors } from '../errors.js'
import { Router, type Handler } from '../http/server-kit.js'
import type { IdentityManager } from '../identity/identity-manager.js'
import { parseModuleSpec, type ModuleService } from '../modules/module-service.js'
import { streamLogs } from './logs.js'
import { systemInfo, systemResources } from './system-info.js'

export interface ManagementDeps {
  modules: ModuleService
  identities: IdentityManager
  homeDir: string
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** @param privileged true for the agent's socket */
export function managementRouter(d: ManagementDeps, privileged: boolean): Router {
  const agentOnly = (what: string, h: Handler): Handler => async (ctx) => {
    if (!privileged) throw errors.forbidden(`only the edge agent may ${what} (through its own management socket, IOTEDGE_MANAGEMENTURI)`)
    return h(ctx)
  }
  const identityBody = async (body: () => Promise<unknown>, name?: string): Promise<{ moduleId: string; managedBy?: string }> => {
    const b = await body()
    const moduleId = isObj(b) && typeof b.moduleId === 'string' ? b.moduleId : name
    if (!moduleId) throw errors.badRequest('the body must be {"moduleId": "<id>", "managedBy": "IotEdge"}')
    if (name !== undefined && moduleId !== name) throw errors.badRequest(`the body's moduleId '${moduleId}' differs from '${name}' in the path`)
    const managedBy = isObj(b) && typeof b.managedBy === 'string' ? b.managedBy : undefined
    return { moduleId, ...(managedBy ? { managedBy } : {}) }
  }
  const m = d.modules

  return new Router()
    .add('GET', '/modules', async () => ({ json: { modules: (await m.list()).map((s) => m.details(s)) } satisfies ModuleList }))
    .add('POST', '/modules', agentOnly('create modules', async ({ body }) => ({ status: 201, json: m.details(await m.create(parseModuleSpec(await body()))) })))
    .add('GET', '/modules/:name', async ({ params }) => ({ json: m.details((await m.mustGet(params.name!)).state) }))
    .add('PUT', '/modules/:name', agentOnly('update modules', async ({ params, query, body }) => {
      const spec = parseModuleSpec(await body())
      if (spec.name !== params.name) throw errors.badRequest(`the body's name '${spec.name}' differs from '${params.name}' in the path`)
      return { json: m.details(await m.update(spec, query.get('start') === 'true')) }
    }))
    .add('DELETE', '/modules/:name', agentOnly('delete modules', async ({ params }) => (await m.remove(params.name!), { status: 204 })))
    .add('POST', '/modules/:name/prepareupdate', agentOnly('prepare updates', async ({ params, body }) => {
      // aziot-edged: the spec to prepare is the body; the module need not exist yet (a deployment pulls ahead).
      const spec = parseModuleSpec(await body())
      if (spec.name !== params.name) throw errors.badRequest(`the body's name '${spec.name}' differs from '${params.name}' in the path`)
      await m.prepare(spec)
      return { status: 204 }
    }))
    .add('POST', '/modules/:name/start', async ({ params }) => (await m.start(params.name!), { status: 204 }))
    .add('POST', '/modules/:name/stop', async ({ params }) => (await m.stop(params.name!), { status: 204 }))
    .add('POST', '/modules/:name/restart', async ({ params }) => (await m.restart(params.name!), { status: 204 }))
    .add('GET', '/modules/:name/logs', async (ctx) => (await streamLogs(m, ctx), undefined))
    .add('GET', '/identities', agentOnly('list identities', async () => ({ json: { identities: await d.identities.list() } satisfies IdentityList })))
    .add('POST', '/identities', agentOnly('create identities', async ({ body }) => {
      const b = await identityBody(body)
      return { json: (await d.identities.create(b.moduleId, b.managedBy)) satisfies Identity }
    }))
    .add('PUT', '/identities/:name', agentOnly('update identities', async ({ params, body }) => {
      const b = await identityBody(body, params.name)
      return { json: (await d.identities.update(b.moduleId, b.managedBy)) satisfies Identity }
    }))
    .add('DELETE', '/identities/:name', agentOnly('delete identities', async ({ params }) => (await d.identities.delete(params.name!), { status: 204 })))
    .add('GET', '/systeminfo', async () => ({ json: await systemInfo() }))
    .add('GET', '/systeminfo/resources', async () => ({ json: await systemResources(d.homeDir) }))
}
