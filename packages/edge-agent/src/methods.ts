/**
 * The `$edgeAgent` direct methods Azure's agent offers that Ledge has so far: `ping` and `RestartModule`
 * (`{schemaVersion: "1.0", id: "<module>"}`).
 */
import type { Logger } from '@ledge/common'
import { isAppError } from '@ledge/common'
import type { MethodResult } from './desired/twin-desired-source.js'
import type { ModuleManagement } from './module-management.js'

export interface MethodHost {
  onMethod(name: string, handler: (payload: unknown) => Promise<MethodResult>): void
}

export function registerMethods(host: MethodHost, d: { management: ModuleManagement; log: Logger; onRestarted?: () => void }): void {
  host.onMethod('ping', async () => ({ status: 200, payload: null }))
  host.onMethod('RestartModule', async (payload) => restartModule(payload, d))
}

export async function restartModule(payload: unknown, d: { management: ModuleManagement; log: Logger; onRestarted?: () => void }): Promise<MethodResult> {
  const id = (payload as { id?: unknown } | null)?.id
  if (typeof id !== 'string' || id === '') return { status: 400, payload: { message: 'RestartModule needs {"schemaVersion": "1.0", "id": "<module name>"}' } }
  if (id === 'edgeAgent' || id === '$edgeAgent') return { status: 400, payload: { message: 'the edge agent cannot restart itself; the daemon restarts it' } }
  const name = id === '$edgeHub' ? 'edgeHub' : id
  try {
    await d.management.restart(name)
    d.log.info({ event: 'method.restart-module', module: name }, `restarted ${name} on request`)
    d.onRestarted?.()
    return { status: 200, payload: null }
  } catch (err) {
    const status = isAppError(err) && err.kind === 'not_found' ? 404 : 500
    return { status, payload: { message: (err as Error).message } }
  }
}
