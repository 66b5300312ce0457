/**
 * The SQLite adapter of the storage ports (better-sqlite3, WAL): the embedded default for the hub and the edge.
 * One connection per store; the driver is synchronous, so each method runs to completion (and each write
 * transaction commits) before the next starts. A file store also has a worker thread with its own connection that
 * checkpoints the WAL off the event loop (wal-checkpointer.ts).
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { silentLogger, type Logger } from '@ledge/common'
import { storeErrors, type HubStore } from '@ledge/storage'
import { migrate, readSchemaVersion, SCHEMA_VERSION } from './schema.js'
import { SqliteC2dQueue } from './sqlite-c2d-queue.js'
import { SqliteEventLog } from './sqlite-event-log.js'
import { SqliteIdentityRepository } from './sqlite-identity-repository.js'
import { SqlitePolicyRepository } from './sqlite-policy-repository.js'
import { SqliteSessionRepository } from './sqlite-session-repository.js'
import { SqliteDpsRepository } from './sqlite-dps-repository.js'
import { SqliteConfigurationRepository } from './sqlite-configuration-repository.js'
import { WalCheckpointer, type WalCheckpointSettings } from './wal-checkpointer.js'

export { SCHEMA_VERSION } from './schema.js'
export { SqliteC2dQueue } from './sqlite-c2d-queue.js'
export { SqliteEventLog } from './sqlite-event-log.js'
export { SqliteIdentityRepository } from './sqlite-identity-repository.js'
export { SqlitePolicyRepository } from './sqlite-policy-repository.js'
export { SqliteSessionRepository } from './sqlite-session-repository.js'
export { SqliteDpsRepository } from './sqlite-dps-repository.js'
export { SqliteConfigurationRepository } from './sqlite-configuration-repository.js'
export type { WalCheckpointSettings } from './wal-checkpointer.js'

export interface SqliteHubStoreOptions {
  /** The database file; its directory is created if missing. `':memory:'` for a throw-away store. */
  file: string
  logger?: Logger
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number
  /**
   * WAL pages (4 KiB) after which a commit checkpoints the WAL into the main file, when checkpoints run on the
   * connection itself (`walCheckpoints: false`, `':memory:'`, or if the checkpoint thread fails). Default 10000
   * (~40 MiB): the event log's device index dirties many pages per batch, and checkpointing every 1000 pages
   * (SQLite's default) halves append throughput.
   */
  walAutocheckpointPages?: number
  /**
   * Checkpoints in a worker thread (the default for a file), so that their fsyncs never stall the event loop;
   * `false` leaves them to the connection (`walAutocheckpointPages`).
   */
  walCheckpoints?: WalCheckpointSettings | false
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000
export const DEFAULT_WAL_AUTOCHECKPOINT_PAGES = 10_000

const int = (n: number): number => Math.max(0, Math.floor(n))

/** Applies the connection settings. See the README for why each one. */
function configure(db: Database.Database, opts: SqliteHubStoreOptions): void {
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma(`busy_timeout = ${int(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)}`)
  db.pragma('foreign_keys = ON')
  db.pragma(`wal_autocheckpoint = ${int(opts.walAutocheckpointPages ?? DEFAULT_WAL_AUTOCHECKPOINT_PAGES)}`)
  // Without a limit the -wal file keeps its high-water size after each checkpoint resets it.
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`)
}

class SqliteHubStore implements HubStore {
  readonly identities: SqliteIdentityRepository
  readonly c2d: SqliteC2dQueue
  readonly events: SqliteEventLog
  readonly policies: SqlitePolicyRepository
  readonly sessions: SqliteSessionRepository
  readonly dps: SqliteDpsRepository
  readonly configurations: SqliteConfigurationRepository

  constructor(
    private readonly db: Database.Database,
    private readonly log: Logger,
    private readonly checkpointer: WalCheckpointer | undefined,
  ) {
    this.identities = new SqliteIdentityRepository(db)
    this.c2d = new SqliteC2dQueue(db)
    this.events = new SqliteEventLog(db, checkpointer)
    this.policies = new SqlitePolicyRepository(db)
    this.sessions = new SqliteSessionRepository(db)
    this.dps = new SqliteDpsRepository(db)
    this.configurations = new SqliteConfigurationRepository(db)
  }

  async ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get()
    } catch (err) {
      throw storeErrors.unavailable(`the SQLite store '${this.db.name}' does not answer: ${(err as Error).message}`, err)
    }
  }

  /** Checkpoints the WAL into the main file, then closes. Calling it again does nothing. */
  async close(): Promise<void> {
    if (!this.db.open) return
    // First, so that the final checkpoint below is not blocked by the thread's connection.
    await this.checkpointer?.stop()
    if (!this.db.open) return
    try {
      this.db.pragma('optimize')
      this.db.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      this.db.close()
    }
    this.log.info({ event: 'store.closed', file: this.db.name }, 'store closed')
  }
}

/** Opens (creating and migrating as needed) the database at `opts.file`. */
export async function openSqliteHubStore(opts: SqliteHubStoreOptions): Promise<HubStore> {
  const log = (opts.logger ?? silentLogger()).child({ component: 'storage-sqlite' })
  if (opts.file !== ':memory:' && opts.file !== '') mkdirSync(dirname(opts.file), { recursive: true })
  const db = new Database(opts.file)
  try {
    readSchemaVersion(db) // before configure(): a file from a newer Ledge is left exactly as it was
    configure(db, opts)
    const found = migrate(db, log)
    const inMemory = opts.file === ':memory:' || opts.file === ''
    const checkpointer =
      opts.walCheckpoints === false || inMemory
        ? undefined
        : new WalCheckpointer(db, int(opts.walAutocheckpointPages ?? DEFAULT_WAL_AUTOCHECKPOINT_PAGES), log, opts.walCheckpoints)
    log.info({ event: 'store.opened', file: opts.file, schemaVersion: SCHEMA_VERSION, migratedFrom: found }, 'store opened')
    return new SqliteHubStore(db, log, checkpointer)
  } catch (err) {
    db.close()
    throw err
  }
}
