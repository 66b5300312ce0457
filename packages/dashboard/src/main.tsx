/** Entry: takes a token handed over in the URL fragment (then removes it from the address bar), or the saved login. */
import { render } from 'preact'
import { Session, tokenFromFragment } from './api/session.js'
import { LoginError } from './api/sas.js'
import { App } from './app.js'
import './styles.css'

let initial: Session | undefined
let reason: string | undefined
const handed = tokenFromFragment(location.hash)
if (handed !== undefined) {
  history.replaceState(null, '', `${location.pathname}${location.search}#/devices`)
  try {
    initial = Session.from({ kind: 'token', token: handed })
    initial.save(sessionStorage)
  } catch (err) {
    reason = err instanceof LoginError ? err.message : String(err)
  }
}
initial ??= Session.restore(sessionStorage)

render(<App initial={initial} initialReason={reason} />, document.getElementById('app')!)
