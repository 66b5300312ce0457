/** The messages between the store's connection (main thread) and its WAL checkpoint thread. */

export interface CheckpointWorkerData {
  /** The database file; the main connection has created it and switched it to WAL. */
  file: string
  /** Pause between two checkpoint rounds. */
  intervalMs: number
  /** Reset the WAL (RESTART) once it holds this many frames (pages). */
  restartPages: number
  /** Above this many frames, appends stay held until a reset succeeds: the WAL cannot grow past it for long. */
  maxPages: number
}

/** `wal_checkpoint`'s answer: frames in the WAL, frames copied into the main file, and whether it was blocked. */
export interface CheckpointResult {
  busy: number
  log: number
  checkpointed: number
}

export type ToMain =
  /** The thread has opened its connection and starts its rounds. */
  | { type: 'ready' }
  /** Stop appending and answer `held`: the thread is about to reset the WAL. */
  | { type: 'hold' }
  /** Appends may go on. `pinned` when a reader kept the WAL from being reset; `resetMs`: how long the reset took. */
  | { type: 'release'; result: CheckpointResult; pinned: boolean; resetMs: number }
  /** The WAL is at the cap and a reader pins it: appends stay held until the next `release`. */
  | { type: 'pinned'; result: CheckpointResult }

/** The answer to `hold`: no append will start until `release`. */
export type ToWorker = { type: 'held' }
