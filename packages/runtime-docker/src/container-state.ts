/**
 * A container, as `docker inspect` shows it, seen as a ModuleState (Azure's semantics: exit code 0 → `stopped`,
 * non-zero → `failed`; a module stopped on request is `stopped` whatever its code).
 */
import type { ContainerInspectInfo } from 'dockerode'
import type { ModuleConfig, ModuleHealth, ModuleState, ModuleStatus } from '@ledge/module-runtime'
import { DOCKER_TYPE, LABELS } from './settings.js'

/** Docker's "never" (`0001-01-01T00:00:00Z`) is no time at all. */
export function dockerTime(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-')) return undefined
  const ms = Date.parse(t)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** The config a container was created from (its `ledge.module-config` label); undefined for a foreign container. */
export function configOf(info: Pick<ContainerInspectInfo, 'Config'>): ModuleConfig | undefined {
  const raw = info.Config?.Labels?.[LABELS.config]
  if (!raw) return undefined
  try {
    return JSON.parse(raw) as ModuleConfig
  } catch {
    return undefined
  }
}

const HEALTH: Record<string, ModuleHealth> = { starting: 'starting', healthy: 'healthy', unhealthy: 'unhealthy' }

/**
 * @param stoppedOnRequest the `StartedAt` of the run that was stopped on request (from the runtime's records), if any:
 *   an exit of that run is `stopped`.
 */
export function toModuleState(info: ContainerInspectInfo, config: ModuleConfig, stoppedOnRequest: string | undefined): ModuleState {
  const st = info.State
  const startedAt = dockerTime(st.StartedAt)
  const finishedAt = dockerTime(st.FinishedAt)
  let status: ModuleStatus
  let description: string | undefined
  switch (st.Status) {
    case 'created':
      status = startedAt ? 'failed' : 'created'
      if (st.Error) description = `could not be started: ${st.Error}`
      break
    case 'running':
    case 'paused':
    case 'restarting':
      status = 'running'
      if (st.Status !== 'running') description = `the container is ${st.Status}`
      break
    case 'exited': {
      const onRequest = stoppedOnRequest !== undefined && stoppedOnRequest === st.StartedAt
      status = onRequest || st.ExitCode === 0 ? 'stopped' : 'failed'
      const how = st.OOMKilled ? `was killed for lack of memory (exit code ${st.ExitCode})` : `exited with code ${st.ExitCode}`
      description = onRequest ? `stopped on request; the container ${how}` : `the container ${how}`
      if (st.Error) description += `: ${st.Error}`
      break
    }
    case 'dead':
    case 'removing':
      status = 'dead'
      description = `the container is ${st.Status}${st.Error ? `: ${st.Error}` : ''}`
      break
    default:
      status = 'unknown'
      description = `the container is '${String(st.Status)}'`
  }
  const state: ModuleState = {
    name: config.name,
    type: DOCKER_TYPE,
    status,
    health: HEALTH[st.Health?.Status ?? ''] ?? 'none',
    config,
  }
  if (startedAt) state.startedAt = startedAt
  // Docker keeps the last exit's time while the container runs again (Azure's lastExitTimeUtc); its code is reset.
  if (finishedAt && startedAt) state.exitedAt = finishedAt
  if (finishedAt && startedAt && status !== 'running') state.exitCode = st.ExitCode
  if (status === 'running' && st.Pid > 0) state.pid = st.Pid
  if (status === 'running' && state.health === 'unhealthy') description = `unhealthy: ${lastHealthOutput(info) ?? 'the health check fails'}`
  if (description !== undefined) state.description = description
  return state
}

function lastHealthOutput(info: ContainerInspectInfo): string | undefined {
  const log = (info.State.Health as { Log?: { ExitCode: number; Output: string }[] } | undefined)?.Log
  const last = log?.at(-1)
  if (!last) return undefined
  const out = last.Output.trim().split('\n').at(-1)?.slice(0, 200)
  return `the health check exited with ${last.ExitCode}${out ? ` (${out})` : ''}`
}
