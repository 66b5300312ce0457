/** The shell: login gate, navigation, and the page the URL fragment names. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { HubApi } from './api/client.js'
import { Session } from './api/session.js'
import { AppContext, type AppContextValue } from './hooks.js'
import { LoginPage } from './pages/login.js'
import { DevicesPage } from './pages/devices.js'
import { DeviceDetailPage } from './pages/device-detail.js'
import { DeploymentPage, DeploymentsPage } from './pages/deployments.js'
import { LivePage } from './pages/live.js'
import { CrowdPage } from './pages/crowd.js'
import { href, useRoute, type Route } from './router.js'

const NAV: { label: string; route: Route; pages: Route['page'][] }[] = [
  { label: 'Devices', route: { page: 'devices' }, pages: ['devices', 'device'] },
  { label: 'Deployments', route: { page: 'deployments' }, pages: ['deployments', 'deployment'] },
  { label: 'Live messages', route: { page: 'live' }, pages: ['live'] },
  { label: 'Crowd analytics', route: { page: 'crowd' }, pages: ['crowd'] },
]

function Page(props: { route: Route }) {
  const r = props.route
  switch (r.page) {
    case 'devices': return <DevicesPage />
    case 'device': return <DeviceDetailPage key={r.deviceId} deviceId={r.deviceId} />
    case 'deployments': return <DeploymentsPage />
    case 'deployment': return <DeploymentPage key={r.deviceId} deviceId={r.deviceId} />
    case 'live': return <LivePage deviceId={r.deviceId} moduleId={r.moduleId} />
    case 'crowd': return <CrowdPage deviceId={r.deviceId} />
  }
}

export function App(props: { initial: Session | undefined; initialReason?: string | undefined }) {
  const [session, setSession] = useState<Session | undefined>(props.initial)
  const [reason, setReason] = useState<string | undefined>(props.initialReason)
  const route = useRoute()
  const main = useRef<HTMLElement>(null)

  const ctx = useMemo<AppContextValue | undefined>(() => session && {
    api: new HubApi(session),
    session,
    logout: (why?: string) => {
      Session.clear(sessionStorage)
      setReason(why)
      setSession(undefined)
    },
  }, [session])

  // A new page: move focus to its heading so keyboard and screen-reader users start there.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true })
    document.title = `${NAV.find((n) => n.pages.includes(route.page))?.label ?? 'Ledge'} · Ledge dashboard`
  }, [route.page, (route as { deviceId?: string }).deviceId])

  // A ready-made token ends: say so instead of failing every request.
  useEffect(() => {
    const exp = session?.expiresAt
    if (!exp || !ctx) return
    const t = setTimeout(() => ctx.logout('Your token has expired: print a new one with `ledge hub dashboard-token`.'), Math.max(0, exp * 1000 - Date.now()))
    return () => clearTimeout(t)
  }, [session])

  if (!session || !ctx) {
    return <LoginPage reason={reason} onLogin={(s) => { s.save(sessionStorage); setReason(undefined); setSession(s) }} />
  }
  return (
    <AppContext.Provider value={ctx}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.querySelector<HTMLElement>('h1')?.focus() }}>Skip to content</a>
      <header class="top">
        <a class="brand" href={href({ page: 'devices' })}>Ledge</a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.label}><a href={href(n.route)} aria-current={n.pages.includes(route.page) ? 'page' : undefined}>{n.label}</a></li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title={`logged in to ${session.hostName}`}>{session.policyName ?? 'token'}@{session.hostName}</span>
          <button type="button" class="link" onClick={() => ctx.logout()}>Log out</button>
        </div>
      </header>
      <main id="main" ref={main}>
        <Page route={route} />
      </main>
    </AppContext.Provider>
  )
}
