/** Builders for the agent's unit tests. */
import type { ModuleDesired } from '@ledge/protocol'
import { DEFAULT_STARTUP_ORDER } from '@ledge/protocol'
import { specHash } from '../src/commands/module-spec.js'
import type { CurrentModule, DesiredModule } from '../src/model.js'

export const T0 = Date.parse('2025-01-01T00:00:00Z')
export const iso = (ms: number) => new Date(ms).toISOString()

export function desired(name: string, o: Partial<ModuleDesired> & { startupOrder?: number } = {}): DesiredModule {
  const settings = o.settings ?? { command: 'node', args: [`${name}.js`] }
  const env = o.env ?? {}
  const values = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.value]))
  return {
    name,
    type: o.type ?? 'process',
    status: o.status ?? 'running',
    restartPolicy: o.restartPolicy ?? 'always',
    startupOrderSet: o.startupOrder !== undefined,
    startupOrder: o.startupOrder ?? DEFAULT_STARTUP_ORDER,
    settings,
    env,
    hash: specHash({ type: o.type ?? 'process', settings, env: values }),
    configHash: specHash({ type: o.type ?? 'process', settings, env: values }),
  }
}

/** A module as the daemon would report it, running since T0 unless told otherwise. */
export function current(m: DesiredModule | string, o: Partial<Omit<CurrentModule, 'name'>> = {}): CurrentModule {
  const name = typeof m === 'string' ? m : m.name
  const hash = typeof m === 'string' ? 'other' : m.hash
  return {
    name,
    type: 'process',
    hash,
    labelled: true,
    status: 'running',
    lastStartTimeUtc: iso(T0),
    restartCount: 0,
    details: { id: name, name, type: 'process', config: { settings: {}, env: [] }, status: { runtimeStatus: { status: 'running' } } },
    ...o,
  }
}

/** A module that exited with `exitCode` at `at`. */
export function exited(m: DesiredModule, exitCode: number, at: number, o: Partial<CurrentModule> = {}): CurrentModule {
  return current(m, { status: exitCode === 0 ? 'stopped' : 'failed', exitCode, lastExitTimeUtc: iso(at), ...o })
}

export type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export function manifest(modules: Json = { camera: camera() }, extra: Json = {}): Json {
  return {
    schemaVersion: '1.1',
    runtime: { type: 'process', settings: {} },
    systemModules: {
      edgeAgent: { type: 'process', settings: { command: 'ledge-edge-agent' } },
      edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', startupOrder: 0, settings: { command: 'ledge-edge-hub' } },
    },
    modules,
    ...extra,
  }
}

export function camera(o: Json = {}): Json {
  return { version: '1.0', type: 'process', status: 'running', restartPolicy: 'on-failure', startupOrder: 1, settings: { command: 'node', args: ['camera.js'] }, env: { FPS: { value: '5' } }, ...o }
}

