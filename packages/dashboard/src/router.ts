/**
 * Routing in the URL fragment (`#/devices/EdgeCam`): the hub serves one index.html, and a link to any page works.
 * `#token=…` is not a route: it is a login handed over by `ledge hub dashboard-token` (see main.tsx).
 */
import { useEffect, useState } from 'preact/hooks'

export type Route =
  | { page: 'devices' }
  | { page: 'device'; deviceId: string }
  | { page: 'deployments' }
  | { page: 'deployment'; deviceId: string }
  | { page: 'live'; deviceId?: string; moduleId?: string }
  | { page: 'crowd'; deviceId?: string }

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?')
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p)
    } catch {
      return p
    }
  })
  const q = new URLSearchParams(query)
  switch (parts[0]) {
    case 'devices':
      return parts[1] ? { page: 'device', deviceId: parts[1] } : { page: 'devices' }
    case 'deployments':
      return parts[1] ? { page: 'deployment', deviceId: parts[1] } : { page: 'deployments' }
    case 'live': {
      const deviceId = q.get('device') ?? undefined
      const moduleId = q.get('module') ?? undefined
      return { page: 'live', ...(deviceId ? { deviceId } : {}), ...(moduleId ? { moduleId } : {}) }
    }
    case 'crowd':
      return parts[1] ? { page: 'crowd', deviceId: parts[1] } : { page: 'crowd' }
    default:
      return { page: 'devices' }
  }
}

export function href(route: Route): string {
  const e = encodeURIComponent
  switch (route.page) {
    case 'devices': return '#/devices'
    case 'device': return `#/devices/${e(route.deviceId)}`
    case 'deployments': return '#/deployments'
    case 'deployment': return `#/deployments/${e(route.deviceId)}`
    case 'live': {
      const q = new URLSearchParams()
      if (route.deviceId) q.set('device', route.deviceId)
      if (route.moduleId) q.set('module', route.moduleId)
      const s = q.toString()
      return `#/live${s ? `?${s}` : ''}`
    }
    case 'crowd': return route.deviceId ? `#/crowd/${e(route.deviceId)}` : '#/crowd'
  }
}

export function navigate(route: Route): void {
  location.hash = href(route)
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}
