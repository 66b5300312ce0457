/**
 * One device: connection, twin (desired and reported side by side), for an edge device its modules as the
 * `$edgeAgent` reports them (with a restart button each), and the actions: direct method, C2D message.
 */
import { useState } from 'preact/hooks'
import type { ModuleIdentity, Twin } from '../api/client.js'
import { deploymentSummary, moduleRows, withoutMetadata, type ModuleRow } from '../model/edge-agent.js'
import { C2dForm, MethodForm } from '../components/actions.js'
import { Badge, ConnectionBadge, EmptyState, ErrorState, isNever, JsonBlock, Loading, RuntimeBadge, Time } from '../components/status.js'
import { DeploymentBadge } from './deployments.js'
import { useApp, useAsync, useInterval } from '../hooks.js'
import { href } from '../router.js'

export function DeviceDetailPage(props: { deviceId: string }) {
  const { api } = useApp()
  const id = props.deviceId
  const data = useAsync(async (signal) => {
    const [device, twin, modules] = await Promise.all([api.device(id, signal), api.twin(id, undefined, signal), api.modules(id, signal).catch(() => [] as ModuleIdentity[])])
    const agent = device.capabilities?.iotEdge ? await api.twin(id, '$edgeAgent', signal).catch(() => undefined) : undefined
    return { device, twin, modules, agent }
  }, [id])
  useInterval(data.reload, 10_000)

  if (data.error !== undefined && !data.data) return <section><h1 tabIndex={-1}>{id}</h1><ErrorState error={data.error} onRetry={data.reload} /></section>
  if (!data.data) return <section><h1 tabIndex={-1}>{id}</h1><Loading what={`device ${id}`} /></section>
  const { device, twin, modules, agent } = data.data
  const edge = device.capabilities?.iotEdge === true
  const rows = agent ? moduleRows(agent.properties?.desired, agent.properties?.reported) : []
  const moduleIds = [...new Set([...modules.map((m) => m.moduleId), ...rows.filter((r) => r.name !== 'edgeAgent').map((r) => r.moduleId)])].sort()

  return (
    <section aria-labelledby="device-title">
      <p class="crumbs"><a href={href({ page: 'devices' })}>Devices</a> /</p>
      <div class="page-head">
        <h1 id="device-title" tabIndex={-1}>{id}</h1>
        <button type="button" onClick={data.reload}>Refresh</button>
      </div>
      {data.error !== undefined && <ErrorState error={data.error} onRetry={data.reload} />}
      <dl class="facts">
        <div><dt>Connection</dt><dd><ConnectionBadge state={device.connectionState} /> {!isNever(device.connectionStateUpdatedTime) && <span class="muted">since <Time iso={device.connectionStateUpdatedTime} /></span>}</dd></div>
        <div><dt>Last activity</dt><dd><Time iso={device.lastActivityTime} /></dd></div>
        <div><dt>Kind</dt><dd>{edge ? <Badge tone="info">IoT Edge device</Badge> : 'device'}</dd></div>
        <div><dt>Status</dt><dd>{device.status}{device.statusReason ? ` (${device.statusReason})` : ''}</dd></div>
        <div><dt>C2D queue</dt><dd>{device.cloudToDeviceMessageCount ?? 0} message(s)</dd></div>
        <div><dt>Links</dt><dd>
          <a href={href({ page: 'live', deviceId: id })}>Live messages</a>
          {edge && <> · <a href={href({ page: 'deployment', deviceId: id })}>Deployment</a> · <a href={href({ page: 'crowd', deviceId: id })}>Crowd analytics</a></>}
        </dd></div>
      </dl>

      <TwinView twin={twin} />

      {edge && <EdgeModules deviceId={id} agent={agent} rows={rows} onChanged={data.reload} />}
      {!edge && modules.length > 0 && (
        <section aria-labelledby="identities-title">
          <h2 id="identities-title">Module identities</h2>
          <ul>{modules.map((m) => <li key={m.moduleId}>{m.moduleId} <ConnectionBadge state={m.connectionState} /></li>)}</ul>
        </section>
      )}

      <section aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        <div class="grid2">
          <MethodForm deviceId={id} modules={moduleIds} />
          <C2dForm deviceId={id} />
        </div>
      </section>
    </section>
  )
}

function TwinView(props: { twin: Twin }) {
  const t = props.twin
  const desired = t.properties?.desired
  const reported = t.properties?.reported
  return (
    <section aria-labelledby="twin-title">
      <h2 id="twin-title">Device twin</h2>
      <div class="twin">
        <div class="card" data-testid="twin-tags">
          <h3>Tags</h3>
          {Object.keys(t.tags ?? {}).length ? <JsonBlock label="tags" value={t.tags} /> : <p class="muted">No tags. Set some with <code>ledge hub device-twin update --device-id {t.deviceId} --tags '{'{"location":"lobby"}'}'</code>.</p>}
        </div>
        <div class="card" data-testid="twin-desired">
          <h3>Desired <span class="muted">v{String(desired?.$version ?? '?')}</span></h3>
          <JsonBlock label="desired properties" value={withoutMetadata(desired)} />
        </div>
        <div class="card" data-testid="twin-reported">
          <h3>Reported <span class="muted">v{String(reported?.$version ?? '?')}</span></h3>
          <JsonBlock label="reported properties" value={withoutMetadata(reported)} />
        </div>
      </div>
    </section>
  )
}

function EdgeModules(props: { deviceId: string; agent: Twin | undefined; rows: ModuleRow[]; onChanged: () => void }) {
  const { api } = useApp()
  const [restarting, setRestarting] = useState<string | undefined>()
  const [result, setResult] = useState<{ module: string; ok: boolean; text: string } | undefined>()
  const summary = deploymentSummary(props.agent?.properties?.desired, props.agent?.properties?.reported)

  const restart = async (m: ModuleRow): Promise<void> => {
    setRestarting(m.name)
    setResult(undefined)
    try {
      const r = await api.invokeMethod(props.deviceId, '$edgeAgent', 'RestartModule', { schemaVersion: '1.0', id: m.name })
      const ok = r.status >= 200 && r.status < 300
      const msg = (r.payload as { message?: string } | null)?.message
      setResult({ module: m.name, ok, text: ok ? `${m.name} restarted.` : `The edge agent answered ${r.status}${msg ? `: ${msg}` : ''}` })
      props.onChanged()
    } catch (err) {
      setResult({ module: m.name, ok: false, text: `Could not restart ${m.name}: ${(err as Error).message}` })
    } finally {
      setRestarting(undefined)
    }
  }

  return (
    <section aria-labelledby="modules-title">
      <h2 id="modules-title">Modules</h2>
      <p>Deployment: <DeploymentBadge state={summary.state} /> {summary.description && <span class="muted">{summary.description}</span>}
        {' '}<a href={href({ page: 'deployment', deviceId: props.deviceId })}>view or change the deployment</a></p>
      {props.rows.length === 0 ? (
        <EmptyState title="No modules reported">
          <p>The edge agent has not reported yet, or nothing is deployed. Deploy with <code>ledge hub edge set-modules --device-id {props.deviceId} --content deployment.json</code>, or from the <a href={href({ page: 'deployment', deviceId: props.deviceId })}>deployment page</a>, and check that the edge runtime runs on the device (<code>ledge system status</code>).</p>
        </EmptyState>
      ) : (
        <div class="table-wrap">
          <table data-testid="module-table">
            <caption class="sr-only">Modules of {props.deviceId} as the edge agent reports them</caption>
            <thead><tr><th scope="col">Module</th><th scope="col">Desired</th><th scope="col">Runtime status</th><th scope="col">Restarts</th><th scope="col">Exit code</th><th scope="col">Started</th><th scope="col">Image or command</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {props.rows.map((m) => (
                <tr key={m.name} data-testid="module-row">
                  <th scope="row">{m.name}{!m.inDeployment && <Badge tone="warn" title="reported but not in the deployment">not deployed</Badge>}</th>
                  <td>{m.desiredStatus ?? '—'}</td>
                  <td><RuntimeBadge status={m.runtimeStatus} />{m.statusDescription && m.statusDescription !== m.runtimeStatus && <div class="muted small">{m.statusDescription}</div>}</td>
                  <td>{m.restartCount ?? '—'}</td>
                  <td>{m.exitCode ?? '—'}</td>
                  <td><Time iso={m.lastStartTimeUtc} /></td>
                  <td class="mono small">{m.image ?? '—'}</td>
                  <td>{m.name !== 'edgeAgent' && (
                    <button type="button" onClick={() => void restart(m)} disabled={restarting !== undefined} aria-label={`Restart module ${m.name}`}>
                      {restarting === m.name ? 'Restarting…' : 'Restart'}
                    </button>
                  )}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div aria-live="polite">{result && <p class={result.ok ? 'success' : 'error'} role={result.ok ? 'status' : 'alert'}>{result.text}</p>}</div>
    </section>
  )
}
