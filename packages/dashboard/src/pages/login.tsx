/**
 * Login: a hub access policy connection string (the browser signs its own short-lived tokens with it) or a token
 * printed by `ledge hub dashboard-token`. Either is checked against the hub before the dashboard opens.
 */
import { useState } from 'preact/hooks'
import { HubApi } from '../api/client.js'
import { LoginError } from '../api/sas.js'
import { Session } from '../api/session.js'
import { errorAdvice, sentence } from '../components/status.js'

export function LoginPage(props: { reason?: string | undefined; onLogin: (s: Session) => void }) {
  const [mode, setMode] = useState<'connection-string' | 'token'>('connection-string')
  const [text, setText] = useState('')
  const [error, setError] = useState<string | undefined>(props.reason)
  const [busy, setBusy] = useState(false)

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    setError(undefined)
    let session: Session
    try {
      session = Session.from(mode === 'token' ? { kind: 'token', token: text } : { kind: 'connection-string', connectionString: text })
    } catch (err) {
      setError(err instanceof LoginError ? err.message : String(err))
      return
    }
    setBusy(true)
    try {
      // One cheap call proves the hub takes the login (host name, key, RegistryRead).
      await new HubApi(session).query('SELECT COUNT() AS total FROM devices', { pageSize: 1 })
      props.onLogin(session)
    } catch (err) {
      setError(errorAdvice(err).detail)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="login" id="main">
      <h1>Ledge dashboard</h1>
      <p>Log in with a hub access policy. Nothing leaves this browser but signed, short-lived tokens; the login is
        forgotten when this tab closes.</p>
      <form onSubmit={submit} class="card">
        <fieldset class="tabs">
          <legend>Log in with</legend>
          <label class="inline"><input type="radio" name="mode" checked={mode === 'connection-string'} onChange={() => setMode('connection-string')} /> a connection string</label>
          <label class="inline"><input type="radio" name="mode" checked={mode === 'token'} onChange={() => setMode('token')} /> a token from the CLI</label>
        </fieldset>
        {mode === 'connection-string' ? (
          <label>Hub connection string
            <textarea name="connectionString" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} required spellcheck={false} autoComplete="off"
              placeholder="HostName=…;SharedAccessKeyName=iothubowner;SharedAccessKey=…" aria-describedby="cs-help" />
          </label>
        ) : (
          <label>SAS token
            <textarea name="token" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} required spellcheck={false} autoComplete="off"
              placeholder="SharedAccessSignature sr=…&sig=…&skn=…&se=…" aria-describedby="cs-help" />
          </label>
        )}
        <p id="cs-help" class="muted">
          {mode === 'connection-string'
            ? <>Print it on the hub's machine with <code>ledge hub connection-string show</code>.</>
            : <>Print one with <code>ledge hub dashboard-token --duration 8h</code>; its URL logs in directly.</>}
        </p>
        {error && <p class="error" role="alert">{sentence(error)}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Checking…' : 'Log in'}</button>
      </form>
    </main>
  )
}
