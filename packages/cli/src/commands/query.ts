/**
 * `ledge hub query`: the IoT Hub query language over twins (POST /devices/query), page after page while the hub
 * answers with an `x-ms-continuation` header, up to `--top` items.
 */
import type { Command } from 'commander'
import { act, type CliIo } from '../context.js'
import { parseIntFlag } from '../flags.js'
import type { HubClient } from '../hub-client.js'
import { formatTable, type Column } from '../output.js'

const MAX_PAGE = 1000
const DEFAULT_PAGE = 100

export async function runQuery(client: HubClient, query: string, top: number | undefined): Promise<unknown[]> {
  const items: unknown[] = []
  let continuation: string | undefined
  do {
    const pageSize = Math.min(MAX_PAGE, top === undefined ? DEFAULT_PAGE : Math.max(1, top - items.length))
    const res = await client.request<unknown[]>({
      method: 'POST', path: '/devices/query', json: { query },
      headers: { 'x-ms-max-item-count': String(pageSize), ...(continuation ? { 'x-ms-continuation': continuation } : {}) },
    })
    items.push(...(Array.isArray(res.body) ? res.body : []))
    const next = res.headers['x-ms-continuation']
    continuation = Array.isArray(next) ? next[0] : next || undefined
  } while (continuation && (top === undefined || items.length < top))
  return top === undefined ? items : items.slice(0, top)
}

type Row = Record<string, unknown>

function isTwin(v: unknown): v is Row {
  return typeof v === 'object' && v !== null && typeof (v as Row).deviceId === 'string' && typeof (v as Row).properties === 'object'
}

function desiredOrReported(t: Row, which: 'desired' | 'reported'): unknown {
  const section = (t.properties as Record<string, Row | undefined> | null)?.[which]
  return section ? Object.fromEntries(Object.entries(section).filter(([k]) => !k.startsWith('$'))) : undefined
}

const twinColumns: readonly Column<Row>[] = [
  { header: 'DeviceId', get: (t) => t.deviceId },
  { header: 'ModuleId', get: (t) => t.moduleId },
  { header: 'Status', get: (t) => t.status },
  { header: 'ConnectionState', get: (t) => t.connectionState },
  { header: 'Tags', get: (t) => t.tags },
  { header: 'Desired', get: (t) => desiredOrReported(t, 'desired') },
  { header: 'Reported', get: (t) => desiredOrReported(t, 'reported') },
]

/** Twins get the twin columns; projections (`SELECT deviceId, tags.x`, `COUNT()`) one column per field. */
export function queryTable(items: readonly unknown[]): string {
  if (items.length > 0 && items.every(isTwin)) {
    const hasModules = items.some((t) => t.moduleId)
    return formatTable(items, hasModules ? twinColumns : twinColumns.filter((c) => c.header !== 'ModuleId'))
  }
  const keys: string[] = []
  for (const it of items) {
    if (typeof it === 'object' && it !== null && !Array.isArray(it)) {
      for (const k of Object.keys(it)) if (!keys.includes(k)) keys.push(k)
    }
  }
  if (keys.length === 0) return formatTable(items, [{ header: 'Value', get: (v) => v }])
  return formatTable(items as Row[], keys.map((k) => ({ header: k, get: (r: Row) => r?.[k] })))
}

export function addQueryCommand(hub: Command, io: CliIo): void {
  const cmd = hub
    .command('query')
    .description('query device and module twins with the IoT Hub query language')
    .requiredOption('-q, --query-command <query>', 'e.g. "SELECT * FROM devices WHERE tags.site = \'paris\'"')
    .option('--top <n>', 'at most this many results (default: all)')
  act<{ queryCommand: string; top?: string }>(cmd, io, async (ctx) => {
    const top = parseIntFlag('--top', ctx.opts.top, { min: 1 })
    const items = await runQuery(ctx.client(), ctx.opts.queryCommand, top)
    ctx.out.print(items, queryTable)
  })
}
