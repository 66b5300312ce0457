/**
 * Custom metric queries as IoT Hub writes them: `SELECT deviceId FROM devices.modules WHERE moduleId='$edgeAgent' AND
 * configurations.[[my-deployment]].status = 'Applied' AND properties.reported.lastDesiredStatus.code = 200`.
 *
 * `[[id]]` quotes a configuration id (ids may hold `-`, `:`, …); it is rewritten to a plain identifier before the twin
 * query parser sees it. Each twin gets a `configurations` section, `{ "<id>": { "status": "Targeted" | "Applied" } }`,
 * from the engine's decisions: on the device twin and on each of its module twins, as IoT Hub's edge deployments show
 * it on the `$edgeAgent` twin.
 */
import { parseTwinQuery, runTwinQuery, type TwinQuery } from '@ledge/protocol'
import type { IdentityKey, IdentityRepository } from '@ledge/storage'
import type { Presence } from '../presence/presence.js'
import { toTwin } from '../registry/to-wire.js'
import type { DeviceDeployments } from './target-engine.js'

const SCAN_PAGE = 1000
const QUOTED_ID = /\[\[([^\]]*)\]\]/g

export interface MetricQuery {
  query: TwinQuery
  /** The identifier each `[[id]]` became, by id. */
  aliases: Map<string, string>
}

/** Parses a metric query; throws the parser's QueryParseError (positions refer to the rewritten text). */
export function parseMetricQuery(sql: string): MetricQuery {
  const aliases = new Map<string, string>()
  const rewritten = sql.replace(QUOTED_ID, (_, id: string) => {
    let alias = aliases.get(id)
    if (!alias) aliases.set(id, (alias = `__configuration_${aliases.size}`))
    return alias
  })
  return { query: parseTwinQuery(rewritten), aliases }
}

function configurationsSection(state: DeviceDeployments | undefined, aliases: Map<string, string>): Record<string, { status: string }> {
  const out: Record<string, { status: string }> = {}
  if (!state) return out
  for (const id of state.targeted) {
    const entry = { status: state.applied.includes(id) ? 'Applied' : 'Targeted' }
    out[id] = entry
    const alias = aliases.get(id)
    if (alias) out[alias] = entry
  }
  return out
}

/** Runs the query over every device (or module) twin; returns the result rows. */
export async function runMetricQuery(
  m: MetricQuery,
  d: { identities: IdentityRepository; presence: Presence; deploymentsOf: (deviceId: string) => DeviceDeployments | undefined },
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = []
  let after: IdentityKey | undefined
  for (;;) {
    const page = await d.identities.scan({ modules: m.query.from === 'devices.modules', limit: SCAN_PAGE, ...(after ? { after } : {}) })
    for (const r of page) {
      const twin = toTwin(r, d.presence) as unknown as Record<string, unknown>
      rows.push({ ...twin, configurations: configurationsSection(d.deploymentsOf(r.deviceId), m.aliases) })
    }
    if (page.length < SCAN_PAGE) break
    const last = page[page.length - 1]!
    after = { deviceId: last.deviceId, moduleId: last.moduleId }
  }
  return runTwinQuery(m.query, rows)
}
