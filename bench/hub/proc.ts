/** What Linux says about a process and the machine: RSS, CPU time, the open-files limit (from /proc). */
import { readFileSync } from 'node:fs'
import { execFileSync, spawnSync } from 'node:child_process'

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/**
 * `pid` on `cpu` (taskset); the error when that failed. `threads: 'main'` pins only the main thread (a broker's event
 * loop): threads it already runs (the hub's WAL checkpoint worker, V8's GC helpers) keep both cores, as on a device.
 * Pinning those to the event loop's core made them take turns with it: the hub's p99 went from 18.6 to 226–288 ms.
 */
export function pinToCpu(pid: number, cpu: number, threads: 'all' | 'main' = 'all'): string | undefined {
  const r = spawnSync('taskset', [...(threads === 'all' ? ['-a'] : []), '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' })
  return r.status === 0 ? undefined : r.stderr || r.error?.message || `taskset exited ${r.status}`
}

/**
 * The benches' `--pin`: CPU 0 is the broker's (its main thread only), CPU 1 the load's (every thread of the clients,
 * the generator and the bench itself). The error when taskset failed.
 */
export function pinForBench(pid: number, cpu: 0 | 1): string | undefined {
  return pinToCpu(pid, cpu, cpu === 0 ? 'main' : 'all')
}

/** Resident set size in bytes, or undefined when the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** User + system CPU seconds the process has used. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / CLK_TCK
  } catch {
    return 0
  }
}

/** Busy, interrupt-handling and total CPU seconds of the whole machine (all cores) since boot. */
export function machineCpuSeconds(): { busy: number; irq: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const idle = (v[3] ?? 0) + (v[4] ?? 0)
  const total = v.reduce((a, b) => a + b, 0)
  return { busy: (total - idle) / CLK_TCK, irq: ((v[5] ?? 0) + (v[6] ?? 0)) / CLK_TCK, total: total / CLK_TCK }
}

/** The soft and hard limits on open files of this process. */
export function openFilesLimit(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  const n = (s: string | undefined): number => (s === undefined || s === 'unlimited' ? Infinity : Number(s))
  return { soft: n(m?.[1]), hard: n(m?.[2]) }
}

export interface ProcessUsage {
  /** CPU used over the interval, as a percentage of one core. */
  cpuPercent: number
  rssEnd: number
  rssPeak: number
}

export interface IntervalUsage {
  seconds: number
  byName: Record<string, ProcessUsage>
  /** Busy CPU of the whole machine, percent of one core (200 % = both cores of a 2-core machine busy). */
  machineCpuPercent: number
  /** Of which interrupt handling (hard + soft IRQ: mostly the loopback network stack), not charged to a process. */
  irqCpuPercent: number
}

/** Samples RSS every 250 ms and CPU at both ends of an interval, for a set of named processes. */
export class UsageSampler {
  private readonly startCpu = new Map<string, number>()
  private readonly peak = new Map<string, number>()
  private readonly startMachine = machineCpuSeconds()
  private readonly startedAt = performance.now()
  private readonly timer: ReturnType<typeof setInterval>

  constructor(private readonly pids: Record<string, number>) {
    for (const [name, pid] of Object.entries(pids)) this.startCpu.set(name, cpuSeconds(pid))
    this.sample()
    this.timer = setInterval(() => this.sample(), 250)
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = rssBytes(pid) ?? 0
      if (rss > (this.peak.get(name) ?? 0)) this.peak.set(name, rss)
    }
  }

  stop(): IntervalUsage {
    clearInterval(this.timer)
    this.sample()
    const seconds = (performance.now() - this.startedAt) / 1000
    const machine = machineCpuSeconds()
    const byName: Record<string, ProcessUsage> = {}
    for (const [name, pid] of Object.entries(this.pids)) {
      byName[name] = {
        cpuPercent: ((cpuSeconds(pid) - this.startCpu.get(name)!) / seconds) * 100,
        rssEnd: rssBytes(pid) ?? 0,
        rssPeak: this.peak.get(name) ?? 0,
      }
    }
    return {
      seconds, byName, machineCpuPercent: ((machine.busy - this.startMachine.busy) / seconds) * 100,
      irqCpuPercent: ((machine.irq - this.startMachine.irq) / seconds) * 100,
    }
  }
}
