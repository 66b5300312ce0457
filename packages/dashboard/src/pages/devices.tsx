/**
 * The fleet: devices filtered on the hub (twin query) and paged with continuation tokens, so 10,000 devices cost one
 * page at a time. The filter is kept in the tab (sessionStorage) so coming back from a device keeps it.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Twin } from '../api/client.js'
import { devicesCountQuery, devicesQuery, deviceConditions, type DeviceFilter } from '../api/query.js'
import { ConnectionBadge, EmptyState, ErrorState, Loading, Time, Badge } from '../components/status.js'
import { useApp, useAsync, useInterval } from '../hooks.js'
import { href } from '../router.js'

const PAGE_SIZE = 50
const FILTER_KEY = 'ledge.dashboard.deviceFilter'

function savedFilter(): DeviceFilter {
  try {
    return JSON.parse(sessionStorage.getItem(FILTER_KEY) ?? '{}') as DeviceFilter
  } catch {
    return {}
  }
}

function tagsText(tags: Record<string, unknown> | undefined): string {
  return Object.entries(tags ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')
}

export function DevicesPage() {
  const { api } = useApp()
  const [draft, setDraft] = useState<DeviceFilter>(savedFilter)
  // The filter and the page tokens change together: tokens[i] is the continuation that gives page i.
  const [view, setView] = useState<{ filter: DeviceFilter; tokens: (string | undefined)[] }>({ filter: draft, tokens: [undefined] })
  const { filter, tokens } = view
  const page = tokens.length - 1
  const setFilter = (f: DeviceFilter): void => {
    sessionStorage.setItem(FILTER_KEY, JSON.stringify(f))
    setView((v) => (JSON.stringify(v.filter) === JSON.stringify(f) ? v : { filter: f, tokens: [undefined] }))
  }
  const setTokens = (t: (string | undefined)[]): void => setView((v) => ({ ...v, tokens: t }))

  // Typing filters after a pause; the selects at once. The pause applies the draft as it is when the pause ends: a
  // select changed during it (or within 300 ms of the page opening) must not be undone by the draft it started with.
  const latestDraft = useRef(draft)
  latestDraft.current = draft
  useEffect(() => {
    const t = setTimeout(() => setFilter(latestDraft.current), 300)
    return () => clearTimeout(t)
  }, [draft.search, draft.tags])
  useEffect(() => setFilter(draft), [draft.connected, draft.edge])

  const filtered = (() => {
    try {
      return deviceConditions(filter).length > 0
    } catch {
      return true
    }
  })()
  const list = useAsync(async (signal) => {
    const sql = devicesQuery(filter)
    const continuation = tokens[page]
    return api.query<Twin>(sql, { pageSize: PAGE_SIZE, ...(continuation ? { continuation } : {}), signal })
  }, [JSON.stringify(filter), page, tokens[page]])
  const count = useAsync(async (signal) => {
    const rows = await api.query<{ total: number }>(devicesCountQuery(filter), { pageSize: 1, signal })
    return rows.items[0]?.total ?? 0
  }, [JSON.stringify(filter)])
  // An edge device's own identity never connects: its edge hub and agent do, as modules. It counts as connected when
  // its $edgeHub module is (one query for the page's edge devices).
  const edgeIds = (list.data?.items ?? []).filter((d) => d.capabilities?.iotEdge).map((d) => d.deviceId)
  const edgeHubs = useAsync(async (signal) => {
    if (edgeIds.length === 0) return new Set<string>()
    const ids = edgeIds.map((id) => `deviceId = '${id.replace(/'/g, "''")}'`).join(' OR ')
    const rows = await api.query<Twin>(`SELECT * FROM devices.modules WHERE moduleId = '$edgeHub' AND (${ids})`, { pageSize: edgeIds.length, signal })
    return new Set(rows.items.filter((m) => m.connectionState === 'Connected').map((m) => m.deviceId))
  }, [edgeIds.join('\n')])
  useInterval(() => { list.reload(); count.reload(); edgeHubs.reload() }, 15_000)

  const set = (k: keyof DeviceFilter) => (e: Event): void => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value })
  const total = count.data
  const items = list.data?.items ?? []

  return (
    <section aria-labelledby="devices-title">
      <div class="page-head">
        <h1 id="devices-title" tabIndex={-1}>Devices</h1>
        <button type="button" onClick={() => { list.reload(); count.reload() }}>Refresh</button>
      </div>
      <form role="search" class="filters" onSubmit={(e) => { e.preventDefault(); setFilter(draft) }}>
        <label>Search device id
          <input type="search" name="search" value={draft.search ?? ''} onInput={set('search')} placeholder="e.g. cam" autoComplete="off" />
        </label>
        <label>Connection
          <select name="connected" value={draft.connected ?? 'any'} onChange={set('connected')}>
            <option value="any">any</option>
            <option value="connected">connected</option>
            <option value="disconnected">disconnected</option>
          </select>
        </label>
        <label>Kind
          <select name="edge" value={draft.edge ?? 'any'} onChange={set('edge')}>
            <option value="any">any</option>
            <option value="edge">edge devices</option>
            <option value="leaf">other devices</option>
          </select>
        </label>
        <label>Tags
          <input name="tags" value={draft.tags ?? ''} onInput={set('tags')} placeholder="location=lobby, floor=2" autoComplete="off" />
        </label>
        {filtered && <button type="button" class="link" onClick={() => setDraft({})}>Clear filters</button>}
      </form>
      <p class="muted" role="status" aria-live="polite">
        {total === undefined ? ' ' : `${total} device${total === 1 ? '' : 's'}${filtered ? ' match' : ''}`}
        {total !== undefined && total > PAGE_SIZE ? ` · page ${page + 1} of ${Math.ceil(total / PAGE_SIZE)}` : ''}
      </p>
      {list.error !== undefined && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.loading && !list.data && <Loading what="devices" />}
      {list.data && items.length === 0 && !filtered && page === 0 && (
        <EmptyState title="No devices yet">
          <p>Register one with the CLI, then connect it with its connection string:</p>
          <pre>ledge hub device-identity create --device-id EdgeCam --edge-enabled{'\n'}ledge hub device-identity connection-string show --device-id EdgeCam</pre>
        </EmptyState>
      )}
      {list.data && items.length === 0 && (filtered || page > 0) && (
        <EmptyState title="No device matches these filters">
          <p>Change the search or <button type="button" class="link" onClick={() => setDraft({})}>clear the filters</button>.</p>
        </EmptyState>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Devices, page {page + 1}</caption>
            <thead>
              <tr><th scope="col">Device</th><th scope="col">Connection</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Last activity</th><th scope="col">Tags</th></tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.deviceId} data-testid="device-row">
                  <th scope="row"><a href={href({ page: 'device', deviceId: d.deviceId })}>{d.deviceId}</a></th>
                  <td><ConnectionBadge state={edgeHubs.data?.has(d.deviceId) ? 'Connected' : d.connectionState} /></td>
                  <td>{d.capabilities?.iotEdge ? <Badge tone="info">edge</Badge> : 'device'}</td>
                  <td>{d.status === 'enabled' ? 'enabled' : <Badge tone="warn">{d.status ?? '?'}</Badge>}</td>
                  <td><Time iso={d.lastActivityTime} /></td>
                  <td class="tags">{tagsText(d.tags)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={page === 0} onClick={() => setTokens(tokens.slice(0, -1))}>← Previous</button>
        <button type="button" disabled={!list.data?.continuation} onClick={() => setTokens([...tokens, list.data!.continuation])}>Next →</button>
      </nav>
    </section>
  )
}
