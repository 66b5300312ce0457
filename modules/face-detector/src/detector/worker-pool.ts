/**
 * A pool of detector worker threads. Frames wait in one FIFO queue and go to whichever worker is free, so with two
 * workers two frames are analysed at once, one per core. Results therefore complete out of order; callers that need
 * input order chain on the returned promises (the detector does: see detector-app.ts).
 *
 * The queue is bounded: when `maxQueue` frames are already waiting, the oldest waiting frame is dropped (its promise
 * rejects with {@link FrameDroppedError}): a live feed wants the newest frames, and memory stays flat when frames
 * arrive faster than the workers analyse them. A worker that dies fails its frame and is replaced.
 */
import { Worker } from 'node:worker_threads'
import type { Logger } from '@ledge/common'
import type { DetectOptions, DetectOutcome, FromWorker, ToWorker, WorkerInit } from './protocol.js'

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url)

export class FrameDroppedError extends Error {
  constructor() {
    super('dropped: the detector queue was full')
    this.name = 'FrameDroppedError'
  }
}

export type DetectResult = DetectOutcome & { workerId: number; numTensors: number }

interface Job {
  id: number
  jpeg: Uint8Array
  options: DetectOptions
  resolve(r: DetectResult): void
  reject(err: Error): void
}

interface Slot {
  worker: Worker
  id: number
  ready: boolean
  job?: Job
  retiring: boolean
  jobsDone: number
}

export interface WorkerPoolOptions {
  size: number
  maxQueue: number
  init: WorkerInit
  log: Logger
}

export class WorkerPool {
  private readonly slots = new Set<Slot>()
  private readonly queue: Job[] = []
  private nextJob = 1
  private target: number
  private maxQueue: number
  private closed = false
  /** Frames each worker (by thread id) has analysed; workers that ended are kept. */
  readonly jobsByWorker = new Map<number, number>()

  constructor(private readonly o: WorkerPoolOptions) {
    this.target = o.size
    this.maxQueue = o.maxQueue
  }

  /** Starts the workers and waits until each has loaded its model. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.target }, () => this.spawn()))
  }

  get size(): number {
    return [...this.slots].filter((s) => !s.retiring).length
  }

  get queued(): number {
    return this.queue.length
  }

  get busy(): number {
    return [...this.slots].filter((s) => s.job).length
  }

  /** Decodes and analyses a JPEG on a free worker. The buffer's bytes are copied, not transferred. */
  detect(jpeg: Uint8Array, options: DetectOptions): Promise<DetectResult> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextJob++, jpeg, options, resolve, reject })
      while (this.queue.length > this.maxQueue) this.queue.shift()!.reject(new FrameDroppedError())
      this.dispatch()
    })
  }

  setMaxQueue(n: number): void {
    this.maxQueue = n
  }

  /** Grows (waiting for the new workers' models) or shrinks (busy workers finish their frame first) the pool. */
  async resize(n: number): Promise<void> {
    this.target = n
    const live = [...this.slots].filter((s) => !s.retiring)
    if (live.length < n) {
      await Promise.all(Array.from({ length: n - live.length }, () => this.spawn()))
    } else {
      for (const s of live.slice(n)) this.retire(s)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    for (const j of this.queue.splice(0)) j.reject(new Error('the worker pool is closed'))
    await Promise.all([...this.slots].map((s) => {
      s.job?.reject(new Error('the worker pool is closed'))
      return s.worker.terminate()
    }))
    this.slots.clear()
  }

  private spawn(): Promise<void> {
    const worker = new Worker(WORKER_ENTRY, { workerData: this.o.init })
    const slot: Slot = { worker, id: worker.threadId, ready: false, retiring: false, jobsDone: 0 }
    this.slots.add(slot)
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          slot.ready = true
          this.o.log.info({ event: 'worker.ready', workerId: slot.id, backend: m.backend }, 'detector worker ready')
          resolve()
          this.dispatch()
        } else if (m.type === 'init-failed') {
          reject(new Error(`a detector worker failed to start: ${m.message}`))
        } else if (m.type === 'result') {
          const job = slot.job
          slot.job = undefined
          slot.jobsDone++
          this.jobsByWorker.set(slot.id, slot.jobsDone)
          if (job && job.id === m.id) {
            const { type: _t, id: _i, ...outcome } = m
            job.resolve({ ...outcome, workerId: slot.id })
          }
          if (slot.retiring) void this.stop(slot)
          else this.dispatch()
        }
      })
      worker.on('error', (err) => {
        this.o.log.error({ event: 'worker.error', workerId: slot.id, err: err.message }, 'detector worker failed')
        reject(err)
      })
      worker.on('exit', (code) => {
        this.slots.delete(slot)
        slot.job?.reject(new Error(`the detector worker exited (code ${code})`))
        slot.job = undefined
        if (!this.closed && !slot.retiring && slot.ready && this.size < this.target) {
          this.o.log.warn({ event: 'worker.replaced', workerId: slot.id, code }, 'detector worker exited: starting another')
          this.spawn().catch((err: Error) => this.o.log.error({ event: 'worker.spawn_failed', err: err.message }, 'cannot start a detector worker'))
        }
        this.dispatch()
      })
    })
  }

  private retire(slot: Slot): void {
    slot.retiring = true
    if (!slot.job) void this.stop(slot)
  }

  private async stop(slot: Slot): Promise<void> {
    this.slots.delete(slot)
    await slot.worker.terminate()
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return
      if (!slot.ready || slot.job || slot.retiring) continue
      const job = this.queue.shift()!
      slot.job = job
      const msg: ToWorker = { type: 'detect', id: job.id, jpeg: job.jpeg, options: job.options }
      slot.worker.postMessage(msg)
    }
  }
}
