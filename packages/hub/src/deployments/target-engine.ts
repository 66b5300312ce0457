/**
 * Which deployments each edge device gets, kept current incrementally: a twin change or a new edge device queues that
 * one device; a deployment created, changed or deleted queues every device. Queued devices are evaluated
 * asynchronously by a few workers, each device by at most one worker at a time (a device queued again while it is
 * being evaluated is evaluated once more afterwards), so a burst of twin writes costs one evaluation per device.
 *
 * Per device: the highest-priority matching base deployment wins (ties: the most recently created), then the matching
 * layered deployments are applied on top, lowest priority first. The result is written to the module twins only when
 * it differs from what the device has. A device no deployment targets keeps its modules, as in IoT Hub.
 *
 * Each evaluation also brings the module twins' `configurations` sections up to date (configuration-status.ts):
 * a deployment that stops targeting the device disappears from them.
 */
import { isDeepStrictEqual } from 'node:util'
import { validateDeploymentManifest, type TwinConfigurations } from '@ledge/protocol'
import { isAppError, type Logger } from '@ledge/common'
import type { ConfigurationRecord, IdentityRecord, IdentityRepository } from '@ledge/storage'
import type { Presence } from '../presence/presence.js'
import { toTwin } from '../registry/to-wire.js'
import { composeDesired, toModulesContent, type DesiredByModule } from './compose.js'
import { configurationsByModule } from './configuration-status.js'
import { compileTargetCondition, type TargetMatcher } from './target.js'

const SCAN_PAGE = 1000
const DEFAULT_CONCURRENCY = 8
/** Compare-and-swap retries when another writer (a reported patch, say) changes a module record meanwhile. */
const MAX_SECTION_WRITE_ATTEMPTS = 10

interface CompiledDeployment {
  record: ConfigurationRecord
  matches: TargetMatcher
}

/** What the engine decided for one device. */
export interface DeviceDeployments {
  targeted: readonly string[]
  /** The base deployment then the layers applied on top; empty when no base deployment targets the device. */
  applied: readonly string[]
}

export interface TargetEngineDeps {
  identities: IdentityRepository
  presence: Presence
  /** Writes the composed desired properties to the device's module twins (ConfigurationService.writeModulesContent). */
  write(deviceId: string, desired: DesiredByModule): Promise<void>
  log: Logger
  concurrency?: number
}

/** Highest priority first; ties: most recently created first, then id, so every hub decides alike. */
function byPrecedence(a: ConfigurationRecord, b: ConfigurationRecord): number {
  return b.priority - a.priority || b.createdTimeUtc.localeCompare(a.createdTimeUtc) || a.id.localeCompare(b.id)
}

export class TargetEngine {
  private deployments: CompiledDeployment[] = []
  /** Composed and validated content per (base, layers) combination; cleared when the deployments change. */
  private composed = new Map<string, { desired: DesiredByModule; layers: string[] }>()
  private readonly devices = new Map<string, DeviceDeployments>()
  private readonly pending = new Set<string>()
  private readonly running = new Set<string>()
  private readonly again = new Set<string>()
  private workers = 0
  private idleWaiters: (() => void)[] = []
  private generation = 0
  private stopped = false
  private scanning: Promise<void> | undefined

  constructor(private readonly d: TargetEngineDeps) {}

  /**
   * Replaces the set of deployments and queues every edge device, in the background: the caller (a REST request)
   * does not wait for the registry scan. {@link idle} waits for it.
   */
  setDeployments(records: readonly ConfigurationRecord[]): void {
    this.deployments = records.flatMap((record) => {
      try {
        return [{ record, matches: compileTargetCondition(record.targetCondition) }]
      } catch (err) {
        // Checked when stored; a condition an older Ledge accepted and this one does not is skipped, not fatal.
        this.d.log.error({ err, event: 'deployment.condition_invalid', id: record.id }, `deployment '${record.id}' has a target condition this hub cannot parse`)
        return []
      }
    })
    this.composed.clear()
    const scan = this.reevaluateAll().catch((err: unknown) => {
      this.d.log.warn({ err, event: 'deployment.scan_failed' }, 'could not queue the edge devices for re-evaluation')
    })
    this.scanning = scan
    void scan.finally(() => {
      if (this.scanning === scan) this.scanning = undefined
    })
  }

  /** A device twin (tags, properties) or identity changed, or a device was created: evaluate it again. */
  deviceChanged(deviceId: string): void {
    if (this.deployments.length === 0 && !this.devices.has(deviceId)) return
    this.enqueue(deviceId)
  }

  deviceDeleted(deviceId: string): void {
    this.devices.delete(deviceId)
  }

  /** What the engine last decided for a device. */
  forDevice(deviceId: string): DeviceDeployments | undefined {
    return this.devices.get(deviceId)
  }

  /** The devices a deployment targets, and those it is applied to. */
  devicesOf(configurationId: string): { targeted: string[]; applied: string[] } {
    const targeted: string[] = []
    const applied: string[] = []
    for (const [deviceId, s] of this.devices) {
      if (s.targeted.includes(configurationId)) targeted.push(deviceId)
      if (s.applied.includes(configurationId)) applied.push(deviceId)
    }
    return { targeted: targeted.sort(), applied: applied.sort() }
  }

  /** Stops taking work and waits for the evaluations under way (before the store closes). */
  async stop(): Promise<void> {
    this.stopped = true
    this.generation++
    this.pending.clear()
    this.again.clear()
    await this.idle()
  }

  /** Resolves when no scan is under way and no device is queued or being evaluated. */
  async idle(): Promise<void> {
    while (this.scanning) await this.scanning
    if (this.workers === 0 && this.pending.size === 0) return
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
  }

  private async reevaluateAll(): Promise<void> {
    const generation = ++this.generation
    if (this.deployments.length === 0) {
      // Nothing targets anything: devices keep their modules, and there is nothing to count. Only the devices a
      // deployment targeted until now need evaluating, to take the deployments off their twins' sections.
      for (const deviceId of this.devices.keys()) this.enqueue(deviceId)
      this.devices.clear()
      return
    }
    const seen = new Set<string>()
    let after: { deviceId: string; moduleId: null } | undefined
    for (;;) {
      const page = await this.d.identities.scan({ modules: false, limit: SCAN_PAGE, ...(after ? { after } : {}) })
      if (generation !== this.generation) return // a newer change started its own scan
      for (const r of page) {
        if (!r.capabilities.iotEdge) continue
        seen.add(r.deviceId)
        this.enqueue(r.deviceId)
      }
      if (page.length < SCAN_PAGE) break
      after = { deviceId: page[page.length - 1]!.deviceId, moduleId: null }
    }
    for (const deviceId of this.devices.keys()) if (!seen.has(deviceId)) this.devices.delete(deviceId)
  }

  private enqueue(deviceId: string): void {
    if (this.stopped) return
    if (this.running.has(deviceId)) this.again.add(deviceId)
    else this.pending.add(deviceId)
    while (this.workers < (this.d.concurrency ?? DEFAULT_CONCURRENCY) && this.pending.size > this.workers) {
      this.workers++
      void this.work()
    }
  }

  private async work(): Promise<void> {
    try {
      for (;;) {
        const deviceId = this.next()
        if (deviceId === undefined) return
        this.running.add(deviceId)
        try {
          await this.evaluate(deviceId)
        } catch (err) {
          this.d.log.warn({ err, event: 'deployment.evaluate_failed', deviceId }, 'could not apply deployments to a device')
        } finally {
          this.running.delete(deviceId)
          if (this.again.delete(deviceId)) this.pending.add(deviceId)
        }
      }
    } finally {
      this.workers--
      if (this.workers === 0 && this.pending.size === 0) for (const w of this.idleWaiters.splice(0)) w()
    }
  }

  private next(): string | undefined {
    for (const deviceId of this.pending) {
      this.pending.delete(deviceId)
      if (this.running.has(deviceId)) this.again.add(deviceId)
      else return deviceId
    }
    return undefined
  }

  private async evaluate(deviceId: string): Promise<void> {
    const record = await this.d.identities.get(deviceId)
    if (!record || !record.capabilities.iotEdge) {
      // An edge device that stopped being one: nothing targets it any more.
      if (record && this.devices.has(deviceId)) await this.markModules(deviceId, new Map())
      this.devices.delete(deviceId)
      return
    }
    const twin = toTwin(record, this.d.presence) as unknown as Record<string, unknown>
    const targeted = this.deployments.filter((dep) => dep.matches(twin)).map((dep) => dep.record)
    const base = targeted.filter((r) => !r.layered).sort(byPrecedence)[0]
    let applied: string[] = []
    if (base) {
      const layers = targeted.filter((r) => r.layered).sort(byPrecedence).reverse()
      const result = this.compose(base, layers)
      await this.applyIfChanged(record, result.desired)
      applied = [base.id, ...result.layers]
    }
    // After the content: a twin never says Applied before it holds the deployment's desired properties.
    await this.markModules(deviceId, configurationsByModule(targeted, new Set(applied)))
    if (targeted.length === 0) this.devices.delete(deviceId)
    else this.devices.set(deviceId, { targeted: targeted.map((r) => r.id), applied })
  }

  /** Brings every module twin's `configurations` section to `sections` (no section for a module absent from it). */
  private async markModules(deviceId: string, sections: ReadonlyMap<string, TwinConfigurations>): Promise<void> {
    for (const module of await this.d.identities.listModules(deviceId)) {
      const wanted = sections.get(module.moduleId!)
      if (isDeepStrictEqual(module.configurations ?? {}, wanted ?? {})) continue
      await this.writeSection(module, wanted)
    }
  }

  /**
   * Writes the section straight to the store: it is the hub's metadata, not a twin change, so the twin's version and
   * etag stay (a service client's If-Match still holds) and no twin-change event re-queues the device.
   */
  private async writeSection(module: IdentityRecord, section: TwinConfigurations | undefined): Promise<void> {
    let current: IdentityRecord | undefined = module
    for (let attempt = 1; current; attempt++) {
      const { configurations: _previous, ...rest } = current
      try {
        await this.d.identities.update(section ? { ...rest, configurations: section } : rest)
        return
      } catch (err) {
        if (isAppError(err) && err.code === 'ERR_STORE_NOT_FOUND') return // the module was deleted meanwhile
        if (!(isAppError(err) && err.code === 'ERR_STORE_CONFLICT') || attempt >= MAX_SECTION_WRITE_ATTEMPTS) throw err
        current = await this.d.identities.get(module.deviceId, module.moduleId)
      }
    }
  }

  private async applyIfChanged(record: IdentityRecord, desired: DesiredByModule): Promise<void> {
    if (isDeepStrictEqual(record.modulesContent, desired)) return
    await this.d.write(record.deviceId, desired)
    this.d.log.debug({ event: 'deployment.applied', deviceId: record.deviceId }, 'deployment applied')
  }

  /**
   * The base with each layer on top; a layer that would make the whole invalid (a module spec the base's runtime
   * cannot run, say) is left out, logged, and not counted as applied.
   */
  private compose(base: ConfigurationRecord, layers: readonly ConfigurationRecord[]): { desired: DesiredByModule; layers: string[] } {
    const key = [base, ...layers].map((r) => `${r.id}@${r.etag}`).join('|')
    const cached = this.composed.get(key)
    if (cached) return cached
    const accepted: ConfigurationRecord[] = []
    let desired = composeDesired(base.modulesContent, [])
    for (const layer of layers) {
      const next = composeDesired(base.modulesContent, [...accepted, layer].map((l) => l.modulesContent))
      const r = validateDeploymentManifest({ modulesContent: toModulesContent(next) })
      if (!r.ok) {
        this.d.log.warn({ event: 'deployment.layer_rejected', base: base.id, layer: layer.id, problems: r.problems }, `layered deployment '${layer.id}' does not fit on '${base.id}'`)
        continue
      }
      accepted.push(layer)
      desired = next
    }
    const result = { desired, layers: accepted.map((l) => l.id) }
    this.composed.set(key, result)
    return result
  }
}
