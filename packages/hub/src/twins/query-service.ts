/**
 * Twin queries (`POST /devices/query`): `SELECT … FROM devices | devices.modules [WHERE …] [GROUP BY …]`, evaluated
 * over the twins page by page, with IoT Hub's paging (x-ms-max-item-count, x-ms-continuation). Module twins carry the
 * `configurations` section of automatic deployments, and `configurations.[[id]]` quotes an id as IoT Hub's metric
 * queries do (`SELECT * FROM devices.modules WHERE configurations.[[my-deployment]].status = 'Applied'`).
 *
 * The whole result is computed for each page request; the continuation token is the position in it. That is simple
 * and right for registries of tens of thousands of twins; a store that can evaluate conditions itself (PostgreSQL)
 * will push the WHERE clause down.
 */
import { parseTwinQuery, runTwinQuery, isQueryParseError, type TwinQuery } from '@ledge/protocol'
import type { IdentityKey, IdentityRepository } from '@ledge/storage'
import { errors } from '../errors.js'
import type { Presence } from '../presence/presence.js'
import { toTwin } from '../registry/to-wire.js'
import { rewriteBracketedNames } from './bracketed-names.js'

const SCAN_PAGE = 1000

export interface QueryPage {
  items: Record<string, unknown>[]
  continuation?: string
  itemType: 'Twin' | 'Raw'
}

export class QueryService {
  constructor(private readonly d: { identities: IdentityRepository; presence: Presence }) {}

  private async *twins(modules: boolean): AsyncGenerator<Record<string, unknown>> {
    let after: IdentityKey | undefined
    for (;;) {
      const page = await this.d.identities.scan({ modules, limit: SCAN_PAGE, ...(after ? { after } : {}) })
      for (const r of page) yield toTwin(r, this.d.presence) as unknown as Record<string, unknown>
      if (page.length < SCAN_PAGE) return
      const last = page[page.length - 1]!
      after = { deviceId: last.deviceId, moduleId: last.moduleId }
    }
  }

  async run(sql: string, opts: { pageSize: number; continuation?: string }): Promise<QueryPage> {
    let query: TwinQuery
    try {
      query = parseTwinQuery(rewriteBracketedNames(sql))
    } catch (err) {
      if (isQueryParseError(err)) throw errors.argumentInvalid(`query: ${err.message}`)
      throw err
    }
    let start = 0
    if (opts.continuation !== undefined) {
      const decoded = Number(Buffer.from(opts.continuation, 'base64').toString('utf8'))
      if (!Number.isInteger(decoded) || decoded < 0) throw errors.argumentInvalid('x-ms-continuation is not a token this hub gave out')
      start = decoded
    }
    const rows: Record<string, unknown>[] = []
    for await (const t of this.twins(query.from === 'devices.modules')) rows.push(t)
    const result = runTwinQuery(query, rows)
    const items = result.slice(start, start + opts.pageSize)
    const end = start + items.length
    const page: QueryPage = { items, itemType: query.select.kind === 'all' && !query.groupBy ? 'Twin' : 'Raw' }
    if (end < result.length) page.continuation = Buffer.from(String(end)).toString('base64')
    return page
  }
}
