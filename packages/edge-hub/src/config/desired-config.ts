/**
 * The edge hub's own configuration: the `$edgeHub` module twin's desired properties (routes, store-and-forward TTL).
 * Read from the cloud at start and followed through desired patches; the last one applied is saved so the edge hub
 * starts routing at once after a restart while the hub is unreachable. What was applied, and every route that did
 * not parse (the others still apply), is reported in the `$edgeHub` reported properties:
 * `lastDesiredVersion`, `lastDesiredStatus { code, description }` (200, or 400 with each problem) and Ledge's
 * `routeErrors { <route>: <message> }`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { backoffDelay, type Logger } from '@ledge/common'
import { mergeTwinPatch, parseEdgeHubRoutes, type EdgeHubRoutes } from '@ledge/protocol'
import type { ClientIdentity } from '../identity.js'
import type { CloudLink } from '../ports.js'

export interface DesiredConfigOptions {
  cloud: CloudLink
  identity: ClientIdentity
  file: string
  apply: (config: EdgeHubRoutes) => Promise<void>
  log: Logger
  /** Extra reported properties (version, runtime facts). */
  reportedExtras?: () => Record<string, unknown>
}

export class DesiredConfig {
  private desired: Record<string, unknown> | undefined
  private stopped = false
  private unfollow: (() => void) | undefined
  private applying: Promise<void> = Promise.resolve()
  private reportedErrors = new Set<string>()

  constructor(private readonly o: DesiredConfigOptions) {}

  /** Applies the saved configuration (if any) and starts fetching and following the cloud's. */
  async start(): Promise<void> {
    const saved = this.load()
    if (saved) {
      this.desired = saved
      await this.applyCurrent('saved')
    }
    this.unfollow = this.o.cloud.onDesired(this.o.identity, (patch) => {
      if (!this.desired) return // the full document is on its way
      this.desired = { ...mergeTwinPatch(this.desired, patch), $version: patch.$version }
      void this.enqueueApply('patch')
    })
    void this.fetchLoop()
  }

  stop(): void {
    this.stopped = true
    this.unfollow?.()
  }

  private async fetchLoop(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const twin = await this.o.cloud.getTwin(this.o.identity)
        this.desired = twin.desired
        await this.enqueueApply('cloud')
        return
      } catch (err) {
        const delay = backoffDelay(attempt, { initialMs: 1000, maxMs: 30_000, jitter: 0.5 })
        this.o.log.info({ err, event: 'edgehub.config_fetch_failed', retryInMs: delay }, 'could not read the $edgeHub twin; retrying')
        await new Promise((r) => setTimeout(r, delay).unref())
      }
    }
  }

  private enqueueApply(from: string): Promise<void> {
    this.applying = this.applying.then(() => this.applyCurrent(from))
    return this.applying
  }

  private async applyCurrent(from: string): Promise<void> {
    const desired = this.desired!
    const config = parseEdgeHubRoutes(desired)
    for (const e of config.errors) this.o.log.warn({ event: 'edgehub.config_error', name: e.name, from }, `$edgeHub desired properties: ${e.name}: ${e.message}`)
    await this.o.apply(config)
    if (from !== 'saved') this.save(desired)
    await this.report(desired, config).catch((err: unknown) =>
      this.o.log.info({ err, event: 'edgehub.report_failed' }, 'could not report the applied configuration; the next change reports again'))
  }

  private async report(desired: Record<string, unknown>, config: EdgeHubRoutes): Promise<void> {
    // Merge-patch: errors of an earlier document that are gone are removed with a null.
    const routeErrors: Record<string, string | null> = {}
    for (const name of this.reportedErrors) routeErrors[name] = null
    for (const e of config.errors) routeErrors[twinKey(e.name)] = e.message
    const status = config.errors.length === 0
      ? { code: 200, description: '' }
      : { code: 400, description: config.errors.map((e) => `${e.name}: ${e.message}`).join('\n') }
    await this.o.cloud.patchReported(this.o.identity, {
      schemaVersion: '1.1',
      lastDesiredVersion: desired.$version ?? null,
      lastDesiredStatus: status,
      routeErrors,
      ...this.o.reportedExtras?.(),
    })
    this.reportedErrors = new Set(config.errors.map((e) => twinKey(e.name)))
  }

  private load(): Record<string, unknown> | undefined {
    try {
      return JSON.parse(readFileSync(this.o.file, 'utf8')) as Record<string, unknown>
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.log.warn({ err, event: 'edgehub.config_unreadable' }, 'the saved configuration could not be read')
      return undefined
    }
  }

  private save(desired: Record<string, unknown>): void {
    try {
      mkdirSync(dirname(this.o.file), { recursive: true, mode: 0o700 })
      writeFileSync(`${this.o.file}.tmp`, JSON.stringify(desired), { mode: 0o600 })
      renameSync(`${this.o.file}.tmp`, this.o.file)
    } catch (err) {
      this.o.log.warn({ err, event: 'edgehub.config_save_failed' }, 'could not save the configuration')
    }
  }
}

/** Twin property names may not contain '.', '$' or spaces; route names and property paths may. */
function twinKey(name: string): string {
  return name.replace(/[.$\s]/g, '_')
}
