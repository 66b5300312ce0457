// @ts-check
/**
 * The WAL checkpoint thread. The store's own connection commits into the WAL and never checkpoints (its
 * `wal_autocheckpoint` is 0): this thread's connection to the same file copies committed frames into the main file
 * (PASSIVE, which never blocks the writer) and pays the fsyncs, off the event loop.
 *
 * A WAL only starts over from its beginning when a write begins with every frame already copied, which a steady
 * stream of appends never allows. So once the WAL is long, the thread asks the main thread to hold its appends,
 * copies the last frames and resets the WAL (RESTART), then lets the appends go. When a reader pins the WAL, the
 * reset fails; past `maxPages` the appends stay held until it succeeds, so the file cannot grow without bound.
 *
 * Plain JavaScript (checked by tsc through `// @ts-check` and the types in `wal-checkpoint-protocol.ts`): a worker
 * thread does not inherit the parent's TypeScript loader, and loading one in the thread took about a second of CPU
 * on a loaded machine at every store opened, more than the thread's whole job.
 */
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
/** @typedef {import('./wal-checkpoint-protocol.js').CheckpointResult} CheckpointResult */
/** @typedef {import('./wal-checkpoint-protocol.js').ToMain} ToMain */
/** @typedef {import('./wal-checkpoint-protocol.js').ToWorker} ToWorker */

/** @type {import('./wal-checkpoint-protocol.js').CheckpointWorkerData} */
const settings = workerData
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)
const db = new Database(settings.file, { fileMustExist: true })
// Never wait on the hub's locks here: a blocked round is simply tried again later.
db.pragma('busy_timeout = 0')
// A checkpoint fsyncs the WAL and then the main file, as the main connection's own checkpoints did.
db.pragma('synchronous = NORMAL')

/** Ends the wait for the main thread's `held`. @type {(() => void) | undefined} */
let onHeld

port.on('message', (/** @type {ToWorker} */ m) => {
  if (m.type === 'held') onHeld?.()
})

/** @param {ToMain} m */
const send = (m) => port.postMessage(m)

/**
 * @param {'PASSIVE' | 'RESTART'} mode
 * @returns {CheckpointResult}
 */
function checkpoint(mode) {
  const rows = /** @type {CheckpointResult[]} */ (db.pragma(`wal_checkpoint(${mode})`))
  return /** @type {CheckpointResult} */ (rows[0])
}

/** Asks the main thread to hold its appends; resolves once it does. */
function hold() {
  return /** @type {Promise<void>} */ (
    new Promise((resolve) => {
      onHeld = resolve
      send({ type: 'hold' })
    })
  )
}

/** Start a reset once a checkpoint round finds no more than this many new pages to copy… */
const SMALL_REST_PAGES = 512
/** …or after this many rounds, if the hub appends faster than the thread copies (then the hold slows it down). */
const CATCH_UP_ROUNDS = 5

/** @param {number} ms */
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Runs until the main thread terminates the thread (better-sqlite3 closes the connection as the thread ends, after
// any checkpoint in progress has finished).
let holding = false
let reportedPinned = false
/**
 * The WAL's length at the last reset. A reset only lets the next write start the WAL over, so until something is
 * written the WAL still counts its old frames, all copied: no reason to reset it again.
 */
let resetAt = -1
/** After a reset a reader blocked, the next try waits until the WAL has grown by this much (or reached the cap). */
let retryAt = 0
send({ type: 'ready' })
for (;;) {
  let passive = checkpoint('PASSIVE')
  const unchanged = passive.log === resetAt && passive.checkpointed === passive.log
  const due = passive.log >= Math.max(settings.restartPages, Math.min(retryAt, settings.maxPages))
  if (holding || (due && !unchanged)) {
    if (!holding) {
      // Catch up first: what the hub appends while a checkpoint runs is what the reset copies with appends held.
      for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
        const before = passive.log
        passive = checkpoint('PASSIVE')
        if (passive.log - before <= SMALL_REST_PAGES) break
      }
      await hold()
      holding = true
    }
    // The main thread appends nothing meanwhile, so only the frames since `passive` are left to copy.
    const started = performance.now()
    const result = checkpoint('RESTART')
    const resetMs = Math.round(performance.now() - started)
    const pinned = result.busy !== 0
    if (pinned && result.log >= settings.maxPages) {
      if (!reportedPinned) send({ type: 'pinned', result })
      reportedPinned = true
    } else {
      send({ type: 'release', result, pinned, resetMs })
      holding = false
      reportedPinned = false
      if (pinned) {
        retryAt = result.log + Math.ceil(settings.restartPages / 8)
      } else {
        resetAt = result.log
        retryAt = 0
      }
    }
  }
  await pause(settings.intervalMs)
}
