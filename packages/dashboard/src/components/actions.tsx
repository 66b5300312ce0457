/** The device actions: invoke a direct method, send a cloud-to-device message. Each shows its result or error. */
import { useState } from 'preact/hooks'
import type { MethodResult } from '../api/client.js'
import { useApp } from '../hooks.js'
import { ErrorState, JsonBlock } from './status.js'

function parsePayload(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: null }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, error: `The payload is not JSON (${(err as Error).message}). Write e.g. {"seconds": 5}, or leave it empty.` }
  }
}

export function MethodForm(props: { deviceId: string; modules: readonly string[] }) {
  const { api } = useApp()
  const [target, setTarget] = useState('')
  const [name, setName] = useState('')
  const [payload, setPayload] = useState('')
  const [timeout, setTimeoutS] = useState('30')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ ok: MethodResult } | { error: unknown } | { invalid: string } | undefined>()

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const p = parsePayload(payload)
    if (!p.ok) return setResult({ invalid: p.error })
    if (!name.trim()) return setResult({ invalid: 'Name the method to call (the device must have a handler for it).' })
    setBusy(true)
    setResult(undefined)
    try {
      setResult({ ok: await api.invokeMethod(props.deviceId, target || undefined, name.trim(), p.value, Number(timeout) || 30) })
    } catch (error) {
      setResult({ error })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card" onSubmit={submit} aria-labelledby="method-title">
      <h3 id="method-title">Invoke a direct method</h3>
      <div class="grid2">
        <label>Target
          <select value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
            <option value="">the device</option>
            {props.modules.map((m) => <option key={m} value={m}>module {m}</option>)}
          </select>
        </label>
        <label>Method name
          <input name="methodName" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="reboot" required autoComplete="off" />
        </label>
      </div>
      <label>Payload (JSON)
        <textarea name="payload" rows={3} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} placeholder='{"delay": 5}' spellcheck={false} />
      </label>
      <div class="row">
        <label class="inline">Timeout (s)
          <input type="number" min={5} max={300} value={timeout} onInput={(e) => setTimeoutS(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>{busy ? 'Waiting for the answer…' : 'Invoke'}</button>
      </div>
      <div aria-live="polite">
        {result && 'invalid' in result && <p class="error" role="alert">{result.invalid}</p>}
        {result && 'error' in result && <ErrorState error={result.error} />}
        {result && 'ok' in result && (
          <output class="result" data-testid="method-result">
            <p>The device answered with status <strong>{result.ok.status}</strong>:</p>
            <JsonBlock label="method response payload" value={result.ok.payload} />
          </output>
        )}
      </div>
    </form>
  )
}

function parseProps(text: string): Record<string, string> | string {
  const out: Record<string, string> = {}
  for (const line of text.split(/[\n;]/).map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=')
    if (eq <= 0) return `'${line}' is not name=value: write one property per line, e.g. priority=high`
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  return out
}

export function C2dForm(props: { deviceId: string }) {
  const { api } = useApp()
  const [body, setBody] = useState('')
  const [contentType, setContentType] = useState('application/json')
  const [propsText, setPropsText] = useState('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ ok: string } | { error: unknown } | { invalid: string } | undefined>()

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const properties = parseProps(propsText)
    if (typeof properties === 'string') return setResult({ invalid: properties })
    setBusy(true)
    setResult(undefined)
    try {
      await api.sendC2d(props.deviceId, { body, contentType, properties })
      setResult({ ok: `Queued for ${props.deviceId}: it is delivered when the device is connected (within an hour, or it expires).` })
    } catch (error) {
      setResult({ error })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card" onSubmit={submit} aria-labelledby="c2d-title">
      <h3 id="c2d-title">Send a cloud-to-device message</h3>
      <label>Message body
        <textarea name="c2dBody" rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} placeholder='{"led": "on"}' spellcheck={false} />
      </label>
      <div class="grid2">
        <label>Content type
          <input value={contentType} onInput={(e) => setContentType(e.currentTarget.value)} />
        </label>
        <label>Properties (name=value, one per line)
          <textarea rows={2} value={propsText} onInput={(e) => setPropsText(e.currentTarget.value)} spellcheck={false} />
        </label>
      </div>
      <button type="submit" disabled={busy}>{busy ? 'Sending…' : 'Send'}</button>
      <div aria-live="polite">
        {result && 'invalid' in result && <p class="error" role="alert">{result.invalid}</p>}
        {result && 'error' in result && <ErrorState error={result.error} />}
        {result && 'ok' in result && <p class="success" role="status">{result.ok}</p>}
      </div>
    </form>
  )
}
