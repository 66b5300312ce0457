/**
 * One run of a module: the child process, its output into the log file, its exit.
 *
 * The child leads its own process group (`detached: true`, i.e. `setsid`), so that a stop reaches its children too,
 * and when the main process exits whatever is left of its group is SIGKILLed, as a container's processes are when its
 * init process exits. The run is over (`done`) once the exit is known and the output is on disk.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'
import type { Clock, Logger } from '@ledge/common'
import { encodeRecord, LineSplitter, type RotatingLogFile } from './log-file.js'
import { processStartTime, signalGroup } from './proc.js'
import type { LaunchPlan } from './settings.js'

/** How long to wait for the pipes to close after the main process exited (a grandchild that left the group may hold them). */
const STDIO_DRAIN_MS = 2000

export interface RunExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** Whether the runtime asked the module to stop (then it is `stopped` whatever the code). */
  stopRequested: boolean
  /** Whether the stop grace ran out and the group was SIGKILLed. */
  killed: boolean
}

export interface RunDeps {
  logFile: RotatingLogFile
  /** Called after output was written (wakes log followers). */
  onOutput: () => void
  clock: Clock
  log: Logger
}

export class ModuleProcess {
  readonly pid: number
  readonly startTime: string | undefined
  /** Resolves when the main process has exited. */
  readonly exited: Promise<void>
  /** Resolves when the run is over: exited, output on disk, log file closed. */
  readonly done: Promise<RunExit>
  private stopRequested = false
  private killed = false
  private droppedWrites = 0

  private constructor(
    private readonly child: ChildProcess & { pid: number; stdout: Readable; stderr: Readable },
    private readonly deps: RunDeps,
  ) {
    this.pid = child.pid
    this.startTime = processStartTime(child.pid)
    let exitedResolve!: () => void
    this.exited = new Promise((r) => (exitedResolve = r))
    this.done = new Promise((resolve) => {
      const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() }
      for (const s of ['stdout', 'stderr'] as const) {
        child[s].on('data', (chunk: Buffer) => this.record(s, splitters[s].push(chunk)))
        child[s].on('end', () => this.record(s, splitters[s].end()))
        child[s].on('error', (err) => deps.log.warn({ err, event: 'module.output_error' }, `reading ${s} failed`))
      }
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
      let drain: { cancel(): void } | undefined
      let finished = false
      const finish = () => {
        if (finished || !exit) return
        finished = true
        drain?.cancel()
        for (const s of ['stdout', 'stderr'] as const) {
          child[s].destroy()
          this.record(s, splitters[s].end())
        }
        deps.logFile.close()
        resolve({ ...exit, stopRequested: this.stopRequested, killed: this.killed })
      }
      child.on('exit', (code, signal) => {
        exit = { code, signal }
        // The module is over: so is anything it left behind in its group.
        this.signal('SIGKILL')
        exitedResolve()
        drain = deps.clock.setTimeout(finish, STDIO_DRAIN_MS)
      })
      child.on('close', finish)
    })
  }

  /** Spawns the module; rejects with the spawn error (ENOENT, EACCES, EAGAIN …) if it could not be started. */
  static async spawn(plan: LaunchPlan, deps: RunDeps): Promise<ModuleProcess> {
    const child = spawn(plan.file, plan.args, { cwd: plan.cwd, env: plan.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    // Errors after a successful spawn are about signalling; ours are handled where we signal.
    child.on('error', (err) => deps.log.warn({ err, event: 'module.process_error' }, 'child process error'))
    return new ModuleProcess(child as ChildProcess & { pid: number; stdout: Readable; stderr: Readable }, deps)
  }

  /**
   * SIGTERM to the group, SIGKILL once `graceMs` has passed; resolves when the run is over. A second call while the
   * first waits just waits too.
   */
  async terminate(graceMs: number): Promise<RunExit> {
    const alreadyExited = this.child.exitCode !== null || this.child.signalCode !== null
    if (!this.stopRequested && !alreadyExited) {
      this.stopRequested = true
      this.signal('SIGTERM')
      const timer = this.deps.clock.setTimeout(() => {
        this.killed = true
        this.deps.log.warn({ event: 'module.killed', graceMs }, 'the module outlived its stop grace; killing it')
        this.signal('SIGKILL')
      }, graceMs)
      void this.exited.then(() => timer.cancel())
    }
    return this.done
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      // The group, so that children are reached; the main process alone if it moved itself out of the group.
      if (!signalGroup(this.pid, signal) && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    } catch (err) {
      this.deps.log.warn({ err, event: 'module.signal_failed', signal }, 'could not signal the module')
    }
  }

  private record(stream: 'stdout' | 'stderr', lines: string[]): void {
    if (lines.length === 0) return
    const t = new Date(this.deps.clock.now()).toISOString()
    try {
      this.deps.logFile.write(lines.map((m) => encodeRecord({ t, s: stream, m })))
    } catch (err) {
      // A full disk must not take the daemon down; the module keeps running, its lines are lost (and counted).
      if (this.droppedWrites++ % 1000 === 0) this.deps.log.warn({ err, event: 'module.log_write_failed', dropped: this.droppedWrites }, 'could not write module output')
      return
    }
    this.deps.onOutput()
  }
}
