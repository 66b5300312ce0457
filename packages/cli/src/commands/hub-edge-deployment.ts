/**
 * `ledge hub edge deployment create|list|show|delete|show-metric`: automatic edge deployments (IoT Hub's
 * configurations API, `PUT/GET/DELETE /configurations/{id}`), as `az iot edge deployment …`. A deployment targets the
 * edge devices whose twin matches its target condition; the hub applies the winning content to each.
 */
import { Command, Option } from 'commander'
import { act, type CliIo } from '../context.js'
import { errors } from '../errors.js'
import { seg } from '../hub-client.js'
import type { Column } from '../output.js'
import { readDeploymentFile } from './hub-edge.js'

/** What the hub answers (azure-iothub's `Configuration`, plus Ledge's `layered`). */
interface Configuration {
  id: string
  labels?: Record<string, string>
  content: { modulesContent: Record<string, Record<string, unknown>> }
  targetCondition: string
  priority: number
  layered?: boolean
  createdTimeUtc: string
  lastUpdatedTimeUtc: string
  systemMetrics: { results: Record<string, number>; queries: Record<string, string> }
  metrics: { results: Record<string, number>; queries: Record<string, string> }
  etag: string
}

const columns: readonly Column<Configuration>[] = [
  { header: 'Id', get: (c) => c.id },
  { header: 'Priority', get: (c) => c.priority },
  { header: 'Layered', get: (c) => c.layered ?? false },
  { header: 'TargetCondition', get: (c) => c.targetCondition },
  { header: 'Targeted', get: (c) => c.systemMetrics.results.targetedCount },
  { header: 'Applied', get: (c) => c.systemMetrics.results.appliedCount },
  { header: 'Succeeded', get: (c) => c.systemMetrics.results.reportedSuccessfulCount },
  { header: 'Failed', get: (c) => c.systemMetrics.results.reportedFailedCount },
]

function fields(c: Configuration): [string, unknown][] {
  return [
    ['Id', c.id],
    ['Priority', c.priority],
    ['Layered', c.layered ?? false],
    ['TargetCondition', c.targetCondition],
    ['Labels', Object.keys(c.labels ?? {}).length ? c.labels : undefined],
    ['Modules', Object.keys(c.content.modulesContent).join(', ')],
    ...Object.entries(c.systemMetrics.results).map(([k, v]): [string, unknown] => [k, v]),
    ...Object.entries(c.metrics.results).map(([k, v]): [string, unknown] => [`metric ${k}`, v]),
    ['Created', c.createdTimeUtc],
    ['Updated', c.lastUpdatedTimeUtc],
    ['Etag', c.etag],
  ]
}

const path = (id: string): string => `/configurations/${seg(id)}`

/** `--labels '{"a":"b"}'` or `--metrics file.json` (`{"queries": {…}}` or just the queries). */
function jsonFlag(flag: string, text: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw errors.badFlag(flag, `is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw errors.badFlag(flag, 'must be a JSON object')
  return v as Record<string, unknown>
}

interface CreateOpts {
  deploymentId: string
  content: string
  targetCondition: string
  priority: string
  labels?: string
  metrics?: string
  layered?: boolean
}

export function deploymentCommand(io: CliIo): Command {
  const group = new Command('deployment').description('automatic deployments: content for every edge device matching a target condition (as az iot edge deployment)')

  act<CreateOpts>(
    group.command('create').description('create a deployment')
      .requiredOption('-d, --deployment-id <id>', 'lowercase letters, digits and - + % _ # * ? ! ( ) , : = @ $ \' (up to 128)')
      .requiredOption('-k, --content <file>', 'the deployment manifest (JSON with modulesContent)')
      .requiredOption('-t, --target-condition <condition>', "devices to target, e.g. \"tags.environment='prod'\", or '*'")
      .option('--priority <n>', 'the highest-priority matching deployment wins', '0')
      .option('--labels <json>', 'labels as a JSON object of strings')
      .option('-m, --metrics <file>', 'custom metrics: JSON {"queries": {"name": "SELECT deviceId FROM devices.modules WHERE …"}}')
      .option('--layered', 'a layered deployment: its modules and routes are added on top of the base deployment'),
    io,
    async (ctx) => {
      const o = ctx.opts
      const file = readDeploymentFile(o.content) as Record<string, unknown>
      const content = (file && typeof file === 'object' && 'content' in file ? file.content : file) as Record<string, unknown>
      const priority = Number(o.priority)
      if (!Number.isInteger(priority) || priority < 0) throw errors.badFlag('--priority', `must be a non-negative integer, not '${o.priority}'`)
      const metrics = o.metrics ? (readDeploymentFile(o.metrics) as Record<string, unknown>) : undefined
      const body = {
        id: o.deploymentId,
        schemaVersion: '1.0',
        content,
        targetCondition: o.targetCondition,
        priority,
        ...(o.labels ? { labels: jsonFlag('--labels', o.labels) } : {}),
        ...(metrics ? { metrics: 'queries' in metrics ? metrics : { queries: metrics } } : {}),
        ...(o.layered ? { layered: true } : {}),
      }
      const res = await ctx.client().request<Configuration>({ method: 'PUT', path: path(o.deploymentId), json: body })
      ctx.out.record(res.body, fields)
    },
  )

  act<{ top?: string }>(group.command('list').description('list deployments with their metrics').option('--top <n>', 'at most n deployments'), io, async (ctx) => {
    const top = ctx.opts.top === undefined ? undefined : Number(ctx.opts.top)
    if (top !== undefined && (!Number.isInteger(top) || top < 1)) throw errors.badFlag('--top', `must be a positive integer, not '${ctx.opts.top}'`)
    const res = await ctx.client().request<Configuration[]>({ method: 'GET', path: '/configurations', query: { top } })
    ctx.out.list(res.body, columns)
  })

  act<{ deploymentId: string }>(group.command('show').description('show a deployment').requiredOption('-d, --deployment-id <id>', 'the deployment'), io, async (ctx) => {
    const res = await ctx.client().request<Configuration>({ method: 'GET', path: path(ctx.opts.deploymentId) })
    ctx.out.record(res.body, fields)
  })

  act<{ deploymentId: string; etag?: string }>(
    group.command('delete').description('delete a deployment (devices keep their modules until another deployment targets them)')
      .requiredOption('-d, --deployment-id <id>', 'the deployment').option('--etag <etag>', 'delete only if the deployment still has this etag'),
    io,
    async (ctx) => {
      await ctx.client().request({ method: 'DELETE', path: path(ctx.opts.deploymentId), ...(ctx.opts.etag ? { headers: { 'if-match': ctx.opts.etag } } : {}) })
      ctx.out.note(`deleted deployment '${ctx.opts.deploymentId}'`)
    },
  )

  act<{ deploymentId: string; metricId: string; metricType: 'system' | 'user' }>(
    group.command('show-metric').description('the devices a metric counts (system: targetedCount, appliedCount, reportedSuccessfulCount, reportedFailedCount)')
      .requiredOption('-d, --deployment-id <id>', 'the deployment')
      .requiredOption('-m, --metric-id <id>', 'the metric')
      .addOption(new Option('--metric-type <type>', 'system or user (custom) metric').choices(['system', 'user']).default('user')),
    io,
    async (ctx) => {
      const o = ctx.opts
      const res = await ctx.client().request<{ metric: string; metricType: string; query: string; count: number; deviceIds: string[] }>({
        method: 'GET', path: `${path(o.deploymentId)}/metricDevices`, query: { metricId: o.metricId, metricType: o.metricType },
      })
      ctx.out.record(res.body, (m) => [['Metric', m.metric], ['Type', m.metricType], ['Query', m.query], ['Count', m.count], ['Devices', m.deviceIds.join(', ') || '(none)']])
    },
  )
  return group
}
