/**
 * Automatic edge deployments, IoT Hub's configurations API (`PUT/GET/DELETE /configurations/{id}`,
 * `GET /configurations`): stores them, hands them to the {@link TargetEngine}, and computes their metrics.
 *
 * As in IoT Hub, a configuration's content cannot change once created (create a new deployment instead); its target
 * condition, priority, labels and metrics can.
 */
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { isAppError, type Clock, type Logger } from '@ledge/common'
import type { ConfigurationRecord, ConfigurationRepository, IdentityRepository } from '@ledge/storage'
import { errors } from '../errors.js'
import { unquoteEtag } from '../registry/registry-service.js'
import type { Presence } from '../presence/presence.js'
import { deploymentErrors } from './errors.js'
import { checkConfigurationId, parseConfigurationInput } from './deployment-input.js'
import { MAX_CONFIGURATIONS } from './limits.js'
import { parseMetricQuery, runMetricQuery } from './metric-query.js'
import type { TargetEngine } from './target-engine.js'
import { toConfiguration, type Configuration } from './to-wire.js'

export const SYSTEM_METRICS = ['targetedCount', 'appliedCount', 'reportedSuccessfulCount', 'reportedFailedCount'] as const
export type SystemMetric = (typeof SYSTEM_METRICS)[number]

/** A metric with the devices it counts (`ledge hub edge deployment show-metric`). */
export interface MetricDevices {
  metric: string
  metricType: 'system' | 'user'
  query: string
  count: number
  deviceIds: string[]
}

export class DeploymentService {
  constructor(
    private readonly d: {
      repository: ConfigurationRepository
      identities: IdentityRepository
      engine: TargetEngine
      presence: Presence
      clock: Clock
      log: Logger
    },
  ) {}

  /** Loads the stored deployments into the engine, which then evaluates every edge device in the background. */
  async start(): Promise<void> {
    await this.refresh()
  }

  private async refresh(): Promise<void> {
    this.d.engine.setDeployments(await this.d.repository.list())
  }

  /** PUT /configurations/{id}: creates (no If-Match) or updates (If-Match: the etag or `*`). */
  async put(id: string, body: unknown, ifMatch: string | undefined): Promise<Configuration> {
    const input = parseConfigurationInput(id, body)
    const now = new Date(this.d.clock.now()).toISOString()
    const existing = await this.d.repository.get(id)
    let record: ConfigurationRecord
    if (ifMatch === undefined || !existing) {
      if (existing) throw deploymentErrors.alreadyExists(id)
      if (ifMatch !== undefined && unquoteEtag(ifMatch) !== '*') throw deploymentErrors.notFound(id)
      if ((await this.d.repository.list()).length >= MAX_CONFIGURATIONS) throw deploymentErrors.tooMany(MAX_CONFIGURATIONS)
      record = { id, ...input, createdTimeUtc: now, lastUpdatedTimeUtc: now, etag: newEtag() }
      try {
        await this.d.repository.create(record)
      } catch (err) {
        if (isAppError(err) && err.code === 'ERR_STORE_CONFLICT') throw deploymentErrors.alreadyExists(id)
        throw err
      }
      this.d.log.info({ event: 'deployment.created', id, targetCondition: input.targetCondition, priority: input.priority, layered: input.layered }, `deployment '${id}' created`)
    } else {
      const given = unquoteEtag(ifMatch)
      if (given !== '*' && given !== existing.etag) throw errors.preconditionFailed(`configuration '${id}' has etag '${existing.etag}', not '${given}': read it again and retry`)
      if (!isDeepStrictEqual(existing.modulesContent, input.modulesContent) || existing.layered !== input.layered) {
        throw errors.argumentInvalid(`the content of configuration '${id}' cannot be changed, only its targetCondition, priority, labels and metrics: create a new deployment with the new content`)
      }
      record = { ...existing, ...input, modulesContent: existing.modulesContent, lastUpdatedTimeUtc: now, etag: newEtag() }
      try {
        await this.d.repository.update(record, existing.etag)
      } catch (err) {
        if (isAppError(err) && err.code === 'ERR_STORE_CONFLICT') throw errors.preconditionFailed(`configuration '${id}' was changed meanwhile: read it again and retry`)
        if (isAppError(err) && err.code === 'ERR_STORE_NOT_FOUND') throw deploymentErrors.notFound(id)
        throw err
      }
      this.d.log.info({ event: 'deployment.updated', id, targetCondition: input.targetCondition, priority: input.priority }, `deployment '${id}' updated`)
    }
    await this.refresh()
    return this.wire(record)
  }

  async get(id: string): Promise<Configuration> {
    checkConfigurationId(id)
    const r = await this.d.repository.get(id)
    if (!r) throw deploymentErrors.notFound(id)
    return this.wire(r)
  }

  /** GET /configurations?top=n: ordered by id. */
  async list(top?: number): Promise<Configuration[]> {
    const all = await this.d.repository.list()
    const page = top === undefined ? all : all.slice(0, top)
    return Promise.all(page.map((r) => this.wire(r)))
  }

  async delete(id: string, ifMatch: string | undefined): Promise<void> {
    checkConfigurationId(id)
    const r = await this.d.repository.get(id)
    if (!r) throw deploymentErrors.notFound(id)
    if (ifMatch !== undefined) {
      const given = unquoteEtag(ifMatch)
      if (given !== '*' && given !== r.etag) throw errors.preconditionFailed(`configuration '${id}' has etag '${r.etag}', not '${given}': read it again and retry`)
    }
    await this.d.repository.delete(id)
    this.d.log.info({ event: 'deployment.deleted', id }, `deployment '${id}' deleted`)
    await this.refresh()
  }

  /** The devices behind one metric of a deployment. */
  async metricDevices(id: string, metric: string, metricType: 'system' | 'user'): Promise<MetricDevices> {
    const r = await this.d.repository.get(id)
    if (!r) throw deploymentErrors.notFound(id)
    if (metricType === 'user') {
      const query = r.metricQueries[metric]
      if (query === undefined) throw errors.notFound(`configuration '${id}' has no metric '${metric}' (it has: ${Object.keys(r.metricQueries).join(', ') || 'none'})`)
      const deviceIds = await this.runMetricQuery(query)
      return { metric, metricType, query, count: deviceIds.length, deviceIds }
    }
    if (!(SYSTEM_METRICS as readonly string[]).includes(metric)) throw errors.notFound(`'${metric}' is not a system metric (${SYSTEM_METRICS.join(', ')})`)
    const sets = await this.systemMetricDevices(id)
    const deviceIds = sets[metric as SystemMetric]
    return { metric, metricType, query: systemQueries(r)[metric as SystemMetric], count: deviceIds.length, deviceIds }
  }

  private async systemMetricDevices(id: string): Promise<Record<SystemMetric, string[]>> {
    const { targeted, applied } = this.d.engine.devicesOf(id)
    const ok: string[] = []
    const failed: string[] = []
    for (const deviceId of applied) {
      const agent = await this.d.identities.get(deviceId, '$edgeAgent')
      if (!agent) continue
      const reported = agent.twin.reported as { lastDesiredVersion?: unknown; lastDesiredStatus?: { code?: unknown } }
      // Only a report about the desired version the device has now says anything about this deployment.
      if (reported.lastDesiredVersion !== agent.twin.desiredVersion) continue
      const code = reported.lastDesiredStatus?.code
      if (code === undefined) continue
      if (code === 200) ok.push(deviceId)
      else failed.push(deviceId)
    }
    return { targetedCount: targeted, appliedCount: applied, reportedSuccessfulCount: ok, reportedFailedCount: failed }
  }

  private async runMetricQuery(sql: string): Promise<string[]> {
    const rows = await runMetricQuery(parseMetricQuery(sql), { identities: this.d.identities, presence: this.d.presence })
    return rows.map((row) => String(row.deviceId ?? ''))
  }

  private async wire(r: ConfigurationRecord): Promise<Configuration> {
    const sets = await this.systemMetricDevices(r.id)
    const system = Object.fromEntries(SYSTEM_METRICS.map((m) => [m, sets[m].length])) as Record<SystemMetric, number>
    const user: Record<string, number> = {}
    for (const [name, sql] of Object.entries(r.metricQueries)) {
      try {
        user[name] = (await this.runMetricQuery(sql)).length
      } catch (err) {
        this.d.log.warn({ err, event: 'deployment.metric_failed', id: r.id, metric: name }, 'a custom metric query failed')
      }
    }
    return toConfiguration(r, { system, systemQueries: systemQueries(r), user })
  }
}

function newEtag(): string {
  return Buffer.from(randomUUID()).toString('base64').slice(0, 12)
}

/** Descriptions of the system metrics in twin-query form, as IoT Hub lists them. */
function systemQueries(r: ConfigurationRecord): Record<SystemMetric, string> {
  const applied = `SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[${r.id}]].status = 'Applied'`
  return {
    targetedCount: `SELECT deviceId FROM devices WHERE capabilities.iotEdge = true AND (${r.targetCondition === '*' ? 'true' : r.targetCondition})`,
    appliedCount: applied,
    reportedSuccessfulCount: `${applied} AND properties.desired.$version = properties.reported.lastDesiredVersion AND properties.reported.lastDesiredStatus.code = 200`,
    reportedFailedCount: `${applied} AND properties.desired.$version = properties.reported.lastDesiredVersion AND properties.reported.lastDesiredStatus.code != 200`,
  }
}
