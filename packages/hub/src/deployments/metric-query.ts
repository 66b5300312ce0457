/**
 * Custom metric queries as IoT Hub writes them: `SELECT deviceId FROM devices.modules WHERE moduleId='$edgeAgent' AND
 * configurations.[[my-deployment]].status = 'Applied' AND properties.reported.lastDesiredStatus.code = 200`.
 *
 * They run over the same twins as `POST /devices/query`: the module twins carry the `configurations` section the
 * deployment engine keeps (configuration-status.ts), and `[[id]]` quotes a configuration id (twins/bracketed-names.ts).
 */
import { parseTwinQuery, runTwinQuery, type TwinQuery } from '@ledge/protocol'
import type { IdentityKey, IdentityRepository } from '@ledge/storage'
import type { Presence } from '../presence/presence.js'
import { toTwin } from '../registry/to-wire.js'
import { rewriteBracketedNames } from '../twins/bracketed-names.js'

const SCAN_PAGE = 1000

export interface MetricQuery {
  query: TwinQuery
}

/** Parses a metric query; throws the parser's QueryParseError (positions refer to the rewritten text). */
export function parseMetricQuery(sql: string): MetricQuery {
  return { query: parseTwinQuery(rewriteBracketedNames(sql)) }
}

/** Runs the query over every device (or module) twin; returns the result rows. */
export async function runMetricQuery(m: MetricQuery, d: { identities: IdentityRepository; presence: Presence }): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = []
  let after: IdentityKey | undefined
  for (;;) {
    const page = await d.identities.scan({ modules: m.query.from === 'devices.modules', limit: SCAN_PAGE, ...(after ? { after } : {}) })
    for (const r of page) rows.push(toTwin(r, d.presence) as unknown as Record<string, unknown>)
    if (page.length < SCAN_PAGE) break
    const last = page[page.length - 1]!
    after = { deviceId: last.deviceId, moduleId: last.moduleId }
  }
  return runTwinQuery(m.query, rows)
}
