/**
 * A set of modules by name, and the diff between the desired and the current set (iotedge `ModuleSet.Diff`).
 */
import type { CurrentModule, DesiredModule } from './model.js'
import { DEFAULT_STARTUP_ORDER } from '@ledge/protocol'

export class ModuleSet<M extends { name: string }> implements Iterable<M> {
  private readonly byName: ReadonlyMap<string, M>

  constructor(modules: Iterable<M> = []) {
    this.byName = new Map([...modules].map((m) => [m.name, m]))
  }

  static empty<M extends { name: string }>(): ModuleSet<M> {
    return new ModuleSet<M>()
  }

  get size(): number {
    return this.byName.size
  }

  get(name: string): M | undefined {
    return this.byName.get(name)
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  names(): string[] {
    return [...this.byName.keys()]
  }

  without(...names: string[]): ModuleSet<M> {
    return new ModuleSet([...this].filter((m) => !names.includes(m.name)))
  }

  [Symbol.iterator](): Iterator<M> {
    return this.byName.values()
  }
}

export interface ModulePair {
  desired: DesiredModule
  current: CurrentModule
}

export interface Diff {
  /** In desired, not running anywhere. */
  added: DesiredModule[]
  /** The spec (hash) changed: recreate. */
  updated: ModulePair[]
  /** Same spec, and the deployment changed what status it wants: start or stop. */
  statusChanged: ModulePair[]
  /** Running, no longer desired. */
  removed: CurrentModule[]
}

/** The startup order of a module name: the desired one, else last. */
export function startupOrderOf(name: string, desired: ModuleSet<DesiredModule>): number {
  return desired.get(name)?.startupOrder ?? DEFAULT_STARTUP_ORDER
}

function byOrder<T>(desired: ModuleSet<DesiredModule>, nameOf: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => startupOrderOf(nameOf(a), desired) - startupOrderOf(nameOf(b), desired) || nameOf(a).localeCompare(nameOf(b))
}

/**
 * Whether the deployment changed the status it wants: stop a module that runs, or start one the agent had stopped
 * (or that was created and never started). A module that stopped on its own is the restart policy's business.
 */
export function desiredStatusChanged(d: DesiredModule, c: CurrentModule): boolean {
  const running = c.status === 'running' || c.status === 'unhealthy'
  if (d.status === 'stopped') return running
  if (running || c.status === 'dead') return false
  const neverStarted = c.lastStartTimeUtc === undefined && c.exitCode === undefined
  return c.appliedStatus === 'stopped' || neverStarted
}

/** Each list in startup order (then by name). */
export function diff(desired: ModuleSet<DesiredModule>, current: ModuleSet<CurrentModule>): Diff {
  const out: Diff = { added: [], updated: [], statusChanged: [], removed: [] }
  for (const d of desired) {
    const c = current.get(d.name)
    if (!c) out.added.push(d)
    else if (c.hash !== (c.labelled ? d.hash : d.configHash)) out.updated.push({ desired: d, current: c })
    else if (desiredStatusChanged(d, c)) out.statusChanged.push({ desired: d, current: c })
  }
  for (const c of current) if (!desired.has(c.name)) out.removed.push(c)
  out.added.sort(byOrder(desired, (m) => m.name))
  out.updated.sort(byOrder(desired, (p) => p.desired.name))
  out.statusChanged.sort(byOrder(desired, (p) => p.desired.name))
  out.removed.sort(byOrder(desired, (m) => m.name))
  return out
}
