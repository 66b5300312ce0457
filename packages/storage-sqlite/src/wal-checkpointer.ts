/**
 * Keeps WAL checkpoints off the event loop. The store's connection stops checkpointing (`wal_autocheckpoint = 0`),
 * and a worker thread with its own connection to the file does it instead (see `checkpoint-worker.mjs`): a
 * checkpoint's fsyncs used to stall the hub's loop for 80–145 ms every few seconds under load.
 *
 * Commits are unchanged (an append is durable when its transaction commits, as before). While the thread resets
 * the WAL, event appends wait on {@link WalCheckpointer.held}: they are the only steady writer; any other write
 * meanwhile waits in SQLite's busy handler for the few milliseconds the reset takes.
 */
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'
import { packageDir, type Logger } from '@ledge/common'
import type { CheckpointWorkerData, ToMain, ToWorker } from './wal-checkpoint-protocol.js'

/** Found through the package, not `import.meta.url`: this code also runs bundled into dist/ (scripts/build.mjs). */
const workerFile = (): string => join(packageDir('@ledge/storage-sqlite'), 'src', 'checkpoint-worker.mjs')

export interface WalCheckpointSettings {
  /** Pause between two checkpoint rounds. Default 100 ms. */
  intervalMs?: number
  /**
   * Reset the WAL once it holds this many 4 KiB pages. Default 32768 (128 MiB): each reset holds the appends for
   * one small checkpoint and its fsyncs (10–30 ms on a loaded 2-core VM), so it should be rare.
   */
  restartPages?: number
  /** The cap: past this many pages, appends wait until a reader lets go and the WAL is reset. Default 262144 (1 GiB). */
  maxPages?: number
}

/** Something an appender waits on before it writes. */
export interface WriteGate {
  /** A promise while writes must wait, else undefined (the common case costs nothing). */
  readonly held: Promise<void> | undefined
}

export class WalCheckpointer implements WriteGate {
  held: Promise<void> | undefined
  private heldSince = 0
  private release: (() => void) | undefined
  private readonly worker: Worker | undefined
  private running = true

  constructor(
    private readonly db: Database.Database,
    private readonly fallbackAutocheckpointPages: number,
    private readonly log: Logger,
    settings: WalCheckpointSettings = {},
  ) {
    const workerData: CheckpointWorkerData = {
      file: db.name,
      intervalMs: settings.intervalMs ?? 100,
      restartPages: settings.restartPages ?? 32_768,
      maxPages: settings.maxPages ?? 262_144,
    }
    db.pragma('wal_autocheckpoint = 0')
    let worker: Worker
    try {
      // execArgv: [] so that the thread does not load the parent's `--import tsx` (plain JavaScript needs none).
      worker = new Worker(workerFile(), { workerData, execArgv: [] })
    } catch (err) {
      this.takeBack(err)
      return
    }
    this.worker = worker
    // The store's owner closes it; a forgotten store must not keep the process alive.
    worker.unref()
    worker.on('message', (m: ToMain) => this.onMessage(m))
    worker.on('error', (err) => this.takeBack(err))
    worker.once('exit', (code) => {
      if (this.running) this.takeBack(new Error(`the WAL checkpoint thread exited with code ${code}`))
    })
  }

  private onMessage(m: ToMain): void {
    if (!this.running) return
    switch (m.type) {
      case 'ready':
        this.log.debug({ event: 'store.checkpointer_started' }, 'WAL checkpoint thread started')
        return
      case 'hold':
        if (!this.held) {
          this.held = new Promise((resolve) => (this.release = resolve))
          this.heldSince = performance.now()
        }
        this.post({ type: 'held' })
        return
      case 'pinned':
        this.log.warn({ event: 'store.wal_pinned', walPages: m.result.log }, 'a reader keeps the WAL from being reset: appends wait')
        return
      case 'release':
        const heldMs = Math.round(performance.now() - this.heldSince)
        const fields = { walPages: m.result.log, heldMs, resetMs: m.resetMs }
        if (m.pinned) this.log.debug({ event: 'store.wal_reset_blocked', ...fields }, 'a reader kept the WAL from being reset')
        else this.log.debug({ event: 'store.wal_reset', ...fields }, 'WAL copied into the database file and reset')
        this.open()
        return
    }
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m)
  }

  private open(): void {
    const release = this.release
    this.held = undefined
    this.release = undefined
    release?.()
  }

  /** The thread failed: the connection checkpoints by itself again, as it did before. */
  private takeBack(err: unknown): void {
    if (!this.running) return
    this.running = false
    this.log.error({ err, event: 'store.checkpointer_failed' }, 'the WAL checkpoint thread failed; checkpoints run on the main thread')
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${this.fallbackAutocheckpointPages}`)
    this.open()
  }

  /** Stops the thread; its connection is closed (after any checkpoint in progress) when this resolves. */
  async stop(): Promise<void> {
    if (this.running) {
      this.running = false
      await this.worker?.terminate()
    }
    this.open()
  }
}
