/**
 * Deployments: for each edge device, whether it applied what it was told (`$edgeAgent` desired `$version` vs
 * reported `lastDesiredVersion`/`lastDesiredStatus`); per device the modules desired vs reported, the manifest as the
 * module twins hold it, and applying a new manifest (`applyConfigurationContent`, the hub's validation shown as is).
 */
import { useState } from 'preact/hooks'
import { HubError, type Twin } from '../api/client.js'
import { edgeAgentTwinsQuery, moduleTwinsQuery } from '../api/query.js'
import { deploymentSummary, manifestFromModuleTwins, moduleRows, type DeploymentState } from '../model/edge-agent.js'
import { Badge, ConnectionBadge, EmptyState, ErrorState, JsonBlock, Loading, RuntimeBadge, Time, type Tone } from '../components/status.js'
import { useApp, useAsync, useInterval } from '../hooks.js'
import { href } from '../router.js'

const PAGE_SIZE = 25

export function DeploymentBadge(props: { state: DeploymentState }) {
  const tone: Record<DeploymentState, Tone> = { applied: 'ok', pending: 'info', failed: 'bad', none: 'neutral', unknown: 'warn' }
  const text: Record<DeploymentState, string> = { applied: 'applied', pending: 'pending', failed: 'failed', none: 'no deployment', unknown: 'unknown' }
  return <Badge tone={tone[props.state]}>{text[props.state]}</Badge>
}

export function DeploymentsPage() {
  const { api } = useApp()
  const [search, setSearch] = useState('')
  const [applied, setApplied] = useState('')
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined])
  const page = tokens.length - 1
  const list = useAsync(async (signal) => api.query<Twin>(edgeAgentTwinsQuery(applied), { pageSize: PAGE_SIZE, ...(tokens[page] ? { continuation: tokens[page] } : {}), signal }), [applied, page, tokens[page]])
  useInterval(list.reload, 15_000)
  const items = list.data?.items ?? []

  return (
    <section aria-labelledby="deployments-title">
      <div class="page-head">
        <h1 id="deployments-title" tabIndex={-1}>Deployments</h1>
        <button type="button" onClick={list.reload}>Refresh</button>
      </div>
      <form role="search" class="filters" onSubmit={(e) => { e.preventDefault(); setApplied(search); setTokens([undefined]) }}>
        <label>Edge device id contains
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} autoComplete="off" />
        </label>
        <button type="submit">Search</button>
      </form>
      {list.error !== undefined && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.loading && !list.data && <Loading what="edge devices" />}
      {list.data && items.length === 0 && (
        applied ? <EmptyState title="No edge device matches"><p>Change the search.</p></EmptyState> : (
          <EmptyState title="No edge devices yet">
            <p>Deployments go to IoT Edge devices. Create one, start the edge runtime with its connection string, then deploy:</p>
            <pre>ledge hub device-identity create --device-id EdgeCam --edge-enabled{'\n'}ledge hub edge set-modules --device-id EdgeCam --content deploy/crowd-analytics.json</pre>
          </EmptyState>
        )
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Edge devices and their deployment status</caption>
            <thead><tr><th scope="col">Edge device</th><th scope="col">Agent</th><th scope="col">Deployment</th><th scope="col">Desired version</th><th scope="col">Applied version</th><th scope="col">Modules running</th><th scope="col">Reported</th></tr></thead>
            <tbody>
              {items.map((t) => {
                const s = deploymentSummary(t.properties?.desired, t.properties?.reported)
                const rows = moduleRows(t.properties?.desired, t.properties?.reported).filter((r) => !r.system)
                return (
                  <tr key={t.deviceId} data-testid="deployment-row">
                    <th scope="row"><a href={href({ page: 'deployment', deviceId: t.deviceId })}>{t.deviceId}</a></th>
                    <td><ConnectionBadge state={t.connectionState} /></td>
                    <td><DeploymentBadge state={s.state} />{s.description && <div class="muted small">{s.description}</div>}</td>
                    <td>{s.desiredVersion ?? '—'}</td>
                    <td>{s.reportedVersion ?? '—'}</td>
                    <td>{rows.filter((r) => r.runtimeStatus === 'running').length} / {rows.length}</td>
                    <td><Time iso={s.reportedAt} /></td>
                  </tr>
                )
              })}
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

/** The hub's "the deployment is not valid: a. b. c" as a list of problems. */
export function validationProblems(message: string): string[] {
  const m = /the deployment is not valid:\s*([\s\S]*)$/.exec(message)
  if (!m) return [message]
  return m[1]!.split(/\.\s+(?=[A-Za-z$])/).map((s) => s.trim().replace(/\.$/, '')).filter(Boolean)
}

export function DeploymentPage(props: { deviceId: string }) {
  const { api } = useApp()
  const id = props.deviceId
  const data = useAsync(async (signal) => {
    const [device, twins] = await Promise.all([api.device(id, signal), api.queryAll<Twin>(moduleTwinsQuery(id), signal)])
    return { device, twins, agent: twins.find((t) => t.moduleId === '$edgeAgent') }
  }, [id])
  useInterval(data.reload, 10_000)

  if (!data.data) return <section><h1 tabIndex={-1}>Deployment of {id}</h1>{data.error !== undefined ? <ErrorState error={data.error} onRetry={data.reload} /> : <Loading what="the deployment" />}</section>
  const { device, twins, agent } = data.data
  const desired = agent?.properties?.desired
  const reported = agent?.properties?.reported
  const summary = deploymentSummary(desired, reported)
  const rows = moduleRows(desired, reported)
  const manifest = manifestFromModuleTwins(twins)

  return (
    <section aria-labelledby="deployment-title">
      <p class="crumbs"><a href={href({ page: 'deployments' })}>Deployments</a> /</p>
      <div class="page-head">
        <h1 id="deployment-title" tabIndex={-1}>Deployment of {id}</h1>
        <button type="button" onClick={data.reload}>Refresh</button>
      </div>
      {data.error !== undefined && <ErrorState error={data.error} onRetry={data.reload} />}
      {!device.capabilities?.iotEdge ? (
        <EmptyState title={`${id} is not an IoT Edge device`}>
          <p>Only edge devices take deployments. Make it one with <code>ledge hub device-identity update --device-id {id} --edge-enabled true</code>.</p>
        </EmptyState>
      ) : (
        <>
          <dl class="facts">
            <div><dt>Status</dt><dd><DeploymentBadge state={summary.state} /></dd></div>
            <div><dt>Desired version</dt><dd>{summary.desiredVersion ?? '—'}</dd></div>
            <div><dt>Applied version</dt><dd>{summary.reportedVersion ?? '—'}</dd></div>
            <div><dt>Agent says</dt><dd>{summary.code !== undefined ? `${summary.code}${summary.description ? ` ${summary.description}` : ''}` : 'nothing yet'}</dd></div>
            <div><dt>Reported</dt><dd><Time iso={summary.reportedAt} /></dd></div>
            <div><dt>Device</dt><dd><a href={href({ page: 'device', deviceId: id })}>{id}</a> <ConnectionBadge state={device.connectionState} /></dd></div>
          </dl>
          {rows.length > 0 && (
            <div class="table-wrap">
              <table>
                <caption>Modules: desired vs reported</caption>
                <thead><tr><th scope="col">Module</th><th scope="col">In deployment</th><th scope="col">Desired status</th><th scope="col">Reported</th><th scope="col">Restarts</th><th scope="col">Exit code</th></tr></thead>
                <tbody>
                  {rows.map((m) => (
                    <tr key={m.name}>
                      <th scope="row">{m.name}</th>
                      <td>{m.inDeployment ? 'yes' : <Badge tone="warn">no</Badge>}</td>
                      <td>{m.desiredStatus ?? '—'}</td>
                      <td><RuntimeBadge status={m.runtimeStatus} /></td>
                      <td>{m.restartCount ?? '—'}</td>
                      <td>{m.exitCode ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <details class="card">
            <summary>Current manifest (from the module twins)</summary>
            <JsonBlock label="current deployment manifest" value={manifest} />
          </details>
          <ApplyManifest deviceId={id} current={manifest} onApplied={data.reload} />
        </>
      )}
    </section>
  )
}

function ApplyManifest(props: { deviceId: string; current: unknown; onApplied: () => void }) {
  const { api } = useApp()
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ ok: true } | { problems: string[]; title: string } | { error: unknown } | undefined>()

  const apply = async (e: Event): Promise<void> => {
    e.preventDefault()
    let content: unknown
    try {
      content = JSON.parse(text)
    } catch (err) {
      return setResult({ title: 'The manifest is not JSON', problems: [(err as Error).message] })
    }
    setBusy(true)
    setResult(undefined)
    try {
      await api.applyConfigurationContent(props.deviceId, content)
      setResult({ ok: true })
      props.onApplied()
    } catch (err) {
      if (err instanceof HubError && err.status === 400) setResult({ title: 'The hub refused the manifest', problems: validationProblems(err.message) })
      else setResult({ error: err })
    } finally {
      setBusy(false)
    }
  }

  const load = async (e: Event): Promise<void> => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0]
    if (file) setText(await file.text())
  }

  return (
    <form class="card" onSubmit={apply} aria-labelledby="apply-title">
      <h2 id="apply-title">Apply a manifest</h2>
      <p class="muted">An Azure IoT Edge deployment manifest (<code>{'{"modulesContent": {"$edgeAgent": …, "$edgeHub": …}}'}</code>). It replaces what {props.deviceId} runs; the hub checks it first.</p>
      <div class="row">
        <label class="inline">Load a file <input type="file" accept=".json,application/json" onChange={(e) => void load(e)} /></label>
        <button type="button" onClick={() => setText(JSON.stringify(props.current, null, 2))}>Start from the current manifest</button>
      </div>
      <label>Manifest (JSON)
        <textarea name="manifest" rows={14} value={text} onInput={(e) => setText(e.currentTarget.value)} spellcheck={false} class="mono" required />
      </label>
      <button type="submit" disabled={busy || !text.trim()}>{busy ? 'Applying…' : `Apply to ${props.deviceId}`}</button>
      <div aria-live="polite">
        {result && 'ok' in result && <p class="success" role="status">Applied. The edge agent picks it up within seconds; its status shows above.</p>}
        {result && 'problems' in result && (
          <div class="error" role="alert" data-testid="apply-error">
            <strong>{result.title}:</strong>
            <ul>{result.problems.map((p, i) => <li key={i}>{p}</li>)}</ul>
          </div>
        )}
        {result && 'error' in result && <ErrorState error={result.error} />}
      </div>
    </form>
  )
}
