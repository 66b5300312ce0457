/**
 * Module identities in the hub, created on demand, and their keys, which the daemon holds so that the workload API
 * can sign for modules (modules never see their key). What the hub said last is cached in
 * `<home_dir>/keys/module-identities.json` (mode 0600) so that modules keep getting tokens while the hub is
 * unreachable after a daemon restart (Azure's `prefer_module_identity_cache`).
 */
import type { Logger } from '@ledge/common'
import type { Identity, Module } from '@ledge/protocol'
import { isAppError } from '@ledge/common'
import { rm } from 'node:fs/promises'
import { errors } from '../errors.js'
import { readJson, writeFileAtomic } from '../files.js'

/** What the manager needs from the hub (the {@link HubClient}, or a fake). */
export interface IdentityHub {
  getModule(moduleId: string): Promise<Module | undefined>
  listModules(): Promise<Module[]>
  createModule(moduleId: string, managedBy: string): Promise<Module>
  updateModule(moduleId: string, managedBy: string): Promise<Module>
  deleteModule(moduleId: string): Promise<boolean>
}

export interface ModuleCredentials {
  moduleId: string
  managedBy: string
  generationId: string
  /** base64 primary SAS key; absent for identities that do not use SAS. */
  primaryKey?: string
}

interface CacheFile {
  schemaVersion: 1
  modules: Record<string, ModuleCredentials>
}

export const MANAGED_BY_EDGE = 'IotEdge'

export class IdentityManager {
  private cache = new Map<string, ModuleCredentials>()

  constructor(private readonly d: { hub: IdentityHub; cacheFile: string; log: Logger }) {}

  async load(): Promise<void> {
    const file = await readJson<CacheFile>(this.d.cacheFile).catch(() => undefined)
    if (file?.schemaVersion === 1) this.cache = new Map(Object.entries(file.modules))
  }

  /** Forgets every cached identity (the device changed). */
  async clearCache(): Promise<void> {
    this.cache.clear()
    await rm(this.d.cacheFile, { force: true })
  }

  /** The identity of `moduleId`, created in the hub when it does not exist. */
  async ensure(moduleId: string, managedBy = MANAGED_BY_EDGE): Promise<ModuleCredentials> {
    try {
      const m = (await this.d.hub.getModule(moduleId)) ?? (await this.d.hub.createModule(moduleId, managedBy))
      return await this.remember(m)
    } catch (err) {
      const cached = this.cache.get(moduleId)
      if (cached && isAppError(err) && err.kind === 'unavailable') {
        this.d.log.warn({ err, event: 'identity.cached', moduleId }, 'the hub is unreachable; using the cached module identity')
        return cached
      }
      throw err
    }
  }

  /** Creates an identity (`POST /identities/`); an existing one is returned as it is. */
  async create(moduleId: string, managedBy = MANAGED_BY_EDGE): Promise<Identity> {
    const m = await this.d.hub.createModule(moduleId, managedBy)
    this.d.log.info({ event: 'identity.created', moduleId }, 'module identity ready')
    return toIdentity(await this.remember(m))
  }

  async update(moduleId: string, managedBy = MANAGED_BY_EDGE): Promise<Identity> {
    try {
      return toIdentity(await this.remember(await this.d.hub.updateModule(moduleId, managedBy)))
    } catch (err) {
      if (isAppError(err) && err.kind === 'not_found') throw errors.notFound(`module identity '${moduleId}' does not exist`)
      throw err
    }
  }

  async delete(moduleId: string): Promise<void> {
    const existed = await this.d.hub.deleteModule(moduleId)
    this.cache.delete(moduleId)
    await this.save()
    if (!existed) throw errors.notFound(`module identity '${moduleId}' does not exist`)
    this.d.log.info({ event: 'identity.deleted', moduleId }, 'module identity deleted')
  }

  async list(): Promise<Identity[]> {
    const modules = await this.d.hub.listModules()
    for (const m of modules) this.cache.set(m.moduleId, credentialsOf(m))
    await this.save()
    return modules.map((m) => toIdentity(credentialsOf(m)))
  }

  /** Generation id and key for the workload API: the cache, else the hub. */
  async credentials(moduleId: string): Promise<ModuleCredentials> {
    return this.cache.get(moduleId) ?? this.ensure(moduleId)
  }

  cached(moduleId: string): ModuleCredentials | undefined {
    return this.cache.get(moduleId)
  }

  private async remember(m: Module): Promise<ModuleCredentials> {
    const c = credentialsOf(m)
    const old = this.cache.get(m.moduleId)
    this.cache.set(m.moduleId, c)
    if (!old || old.generationId !== c.generationId || old.primaryKey !== c.primaryKey || old.managedBy !== c.managedBy) await this.save()
    return c
  }

  private async save(): Promise<void> {
    const file: CacheFile = { schemaVersion: 1, modules: Object.fromEntries(this.cache) }
    await writeFileAtomic(this.d.cacheFile, `${JSON.stringify(file, null, 2)}\n`, 0o600)
  }
}

function credentialsOf(m: Module): ModuleCredentials {
  const key = m.authentication?.type === 'sas' ? m.authentication.symmetricKey?.primaryKey : undefined
  return { moduleId: m.moduleId, managedBy: m.managedBy ?? '', generationId: m.generationId, ...(key ? { primaryKey: key } : {}) }
}

export function toIdentity(c: ModuleCredentials): Identity {
  return { moduleId: c.moduleId, managedBy: c.managedBy, generationId: c.generationId, authType: c.primaryKey ? 'Sas' : 'None' }
}
