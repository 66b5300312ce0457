/**
 * The hub's settings: defaults in code, then the environment (`LEDGE_HUB_*`), then flags. Validated at start-up;
 * every problem is reported at once.
 */
import { hostname } from 'node:os'
import { isIP } from 'node:net'
import { z } from 'zod'

export const hubSettingsSchema = z.object({
  dataDir: z.string().min(1),
  /**
   * Where the registry, twins, C2D queues and events live: omitted, a SQLite file in `dataDir` (the embedded
   * default); `postgres://user:password@host:port/database`, a PostgreSQL database. Certificates and hub.json stay
   * in `dataDir` either way.
   */
  store: z
    .string()
    .regex(/^postgres(ql)?:\/\//i, 'must be a postgres://user@host:port/database URL (leave it out for the SQLite file in the data folder)')
    .optional(),
  /** The PostgreSQL schema (namespace) that holds the hub's tables, created on first start. */
  storeSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be lower-case letters, digits and '_', starting with a letter or '_'").default('ledge'),
  /** The name devices and services use for the hub: in certificates, connection strings and SAS tokens. */
  hostName: z.string().min(1).regex(/^[A-Za-z0-9.\-]+$/, 'must be a DNS name or an IPv4 address'),
  /** More names or addresses the server certificate must cover. */
  extraHostNames: z.array(z.string().min(1)).default([]),
  /** The address to listen on. */
  bind: z.string().refine((s) => isIP(s) !== 0, 'must be an IP address'),
  httpsPort: z.number().int().min(0).max(65535),
  mqttPort: z.number().int().min(0).max(65535),
  amqpPort: z.number().int().min(0).max(65535),
  /** User-supplied certificates: a CA to issue the server certificate from, or the server certificate itself. */
  caCertFile: z.string().optional(),
  caKeyFile: z.string().optional(),
  serverCertFile: z.string().optional(),
  serverKeyFile: z.string().optional(),
  /** Telemetry retention in the events stream. */
  retentionHours: z.number().positive().default(24),
  retentionMaxBytes: z.number().int().positive().default(1024 ** 3),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The device provisioning service's `retry-after` (seconds) before a device polls its registration operation. */
  dpsRetryAfterSeconds: z.number().int().min(0).max(60).default(1),
})

export type HubSettings = z.infer<typeof hubSettingsSchema>
export type HubSettingsInput = z.input<typeof hubSettingsSchema>

export function defaultHubSettings(): HubSettingsInput {
  return {
    dataDir: process.env.LEDGE_HUB_DATA_DIR ?? '.ledge/hub',
    ...(process.env.LEDGE_HUB_STORE ? { store: process.env.LEDGE_HUB_STORE } : {}),
    ...(process.env.LEDGE_HUB_STORE_SCHEMA ? { storeSchema: process.env.LEDGE_HUB_STORE_SCHEMA } : {}),
    hostName: process.env.LEDGE_HUB_HOSTNAME ?? hostname().toLowerCase(),
    bind: process.env.LEDGE_HUB_BIND ?? '0.0.0.0',
    httpsPort: Number(process.env.LEDGE_HUB_HTTPS_PORT ?? 443),
    mqttPort: Number(process.env.LEDGE_HUB_MQTT_PORT ?? 8883),
    amqpPort: Number(process.env.LEDGE_HUB_AMQP_PORT ?? 5671),
  }
}

export class HubSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid hub settings:\n  - ${problems.join('\n  - ')}`)
    this.name = 'HubSettingsError'
  }
}

/** Settings that only make sense together; checked beside the schema so that every problem is reported at once. */
function combinationProblems(s: HubSettingsInput): string[] {
  const problems: string[] = []
  if (Boolean(s.caCertFile) !== Boolean(s.caKeyFile)) problems.push('caCertFile: give both --ca-cert and --ca-key, or neither')
  if (Boolean(s.serverCertFile) !== Boolean(s.serverKeyFile)) problems.push('serverCertFile: give both --server-cert and --server-key, or neither')
  if (s.caCertFile && s.serverCertFile) problems.push('serverCertFile: give a CA to issue from or a server certificate, not both')
  return problems
}

export function parseHubSettings(input: HubSettingsInput): HubSettings {
  const r = hubSettingsSchema.safeParse(input)
  const problems = [...(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`)), ...combinationProblems(input)]
  if (problems.length > 0 || !r.success) throw new HubSettingsError(problems)
  return r.data
}

/** The names and addresses the server certificate covers. */
export function certificateNames(s: HubSettings): { hostNames: string[]; ipAddresses: string[] } {
  const all = new Set([s.hostName, ...s.extraHostNames, 'localhost'])
  if (s.bind !== '0.0.0.0' && s.bind !== '::') all.add(s.bind)
  all.add('127.0.0.1')
  const names = [...all]
  return { hostNames: names.filter((n) => isIP(n) === 0), ipAddresses: names.filter((n) => isIP(n) !== 0) }
}
