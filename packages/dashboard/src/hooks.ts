/** Small hooks the pages share: the logged-in API, and loading data with cancellation. */
import { createContext } from 'preact'
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks'
import type { HubApi } from './api/client.js'
import type { Session } from './api/session.js'

export interface AppContextValue {
  api: HubApi
  session: Session
  /** Back to the login page, with a reason to show there. */
  logout: (reason?: string) => void
}

export const AppContext = createContext<AppContextValue | undefined>(undefined)

export function useApp(): AppContextValue {
  const v = useContext(AppContext)
  if (!v) throw new Error('useApp outside AppContext')
  return v
}

export interface AsyncState<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  reload: () => void
}

/** Runs `load` when `deps` change (aborting the previous run) and on `reload()`. Keeps the last data while reloading. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true })
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load
  useEffect(() => {
    const ac = new AbortController()
    setState((s) => ({ ...s, loading: true }))
    loadRef.current(ac.signal).then(
      (data) => { if (!ac.signal.aborted) setState({ data, error: undefined, loading: false }) },
      (error: unknown) => { if (!ac.signal.aborted) setState((s) => ({ data: s.data, error, loading: false })) },
    )
    return () => ac.abort()
  }, [...deps, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { ...state, reload }
}

/** Calls `fn` every `ms` while the tab is visible. */
export function useInterval(fn: () => void, ms: number | undefined): void {
  const ref = useRef(fn)
  ref.current = fn
  useEffect(() => {
    if (!ms) return
    const t = setInterval(() => { if (document.visibilityState === 'visible') ref.current() }, ms)
    return () => clearInterval(t)
  }, [ms])
}
