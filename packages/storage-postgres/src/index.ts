/**
 * The PostgreSQL adapter of the storage ports (node-postgres): the hub's registry, twins, C2D queues, events log,
 * policies, sessions, DPS records and configurations in a database server, for a hub whose data should live in a
 * managed, backed-up database rather than a file beside it. Everything lives in one schema (namespace) of the
 * store's own, `ledge` by default, created and migrated on open.
 *
 * Every write the ports make atomic is one statement or one transaction; the writes that several hub nodes could
 * race on are made safe for that (revision and etag compare-and-swap, an advisory lock per C2D queue, the events
 * counter row's lock); what goes to a connection (methods, notifications, live events) stays with the node that
 * holds it, as the README says.
 */
import { AppError, redactUrl, silentLogger, type Logger } from '@ledge/common'
import { storeErrors, type HubStore } from '@ledge/storage'
import { openPool, type Db } from './db.js'
import { PgC2dQueue } from './pg-c2d-queue.js'
import { PgConfigurationRepository } from './pg-configuration-repository.js'
import { PgDpsRepository } from './pg-dps-repository.js'
import { PgEventLog } from './pg-event-log.js'
import { PgIdentityRepository } from './pg-identity-repository.js'
import { PgPolicyRepository } from './pg-policy-repository.js'
import { PgSessionRepository } from './pg-session-repository.js'
import { migrate, SCHEMA_NAME, SCHEMA_VERSION } from './schema.js'

export { SCHEMA_VERSION } from './schema.js'

export interface PostgresHubStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq's URI form; `?sslmode=…` and the rest as node-postgres reads them). */
  url: string
  /** The schema (namespace) that holds the store's tables: lower-case letters, digits and `_`. Default `ledge`. */
  schema?: string
  logger?: Logger
  /** Connections in the pool. Default 10. */
  maxConnections?: number
}

export const DEFAULT_SCHEMA = 'ledge'

/** Whether `url` names a PostgreSQL database (what `--store` accepts besides the SQLite default). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url)
}

class PostgresHubStore implements HubStore {
  readonly identities: PgIdentityRepository
  readonly c2d: PgC2dQueue
  readonly events: PgEventLog
  readonly policies: PgPolicyRepository
  readonly sessions: PgSessionRepository
  readonly dps: PgDpsRepository
  readonly configurations: PgConfigurationRepository
  private closing: Promise<void> | undefined

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    /** The server's URL without its password, for messages. */
    private readonly where: string,
  ) {
    this.identities = new PgIdentityRepository(db)
    this.c2d = new PgC2dQueue(db)
    this.events = new PgEventLog(db)
    this.policies = new PgPolicyRepository(db)
    this.sessions = new PgSessionRepository(db)
    this.dps = new PgDpsRepository(db)
    this.configurations = new PgConfigurationRepository(db)
  }

  async ping(): Promise<void> {
    try {
      await this.db.rows('SELECT 1')
    } catch (err) {
      throw storeErrors.unavailable(`PostgreSQL at ${this.where} does not answer: ${(err as Error).message}`, err)
    }
  }

  /** Waits for the queries under way, then closes the pool's connections. Calling it again does nothing more. */
  close(): Promise<void> {
    this.closing ??= this.db.end().then(() => this.log.info({ event: 'store.closed' }, 'store closed'))
    return this.closing
  }
}

/**
 * Connects, creates the schema if needed and migrates it. Throws AppError `ERR_STORE_OPTIONS_INVALID` for a URL or
 * schema name it cannot use, `ERR_STORE_UNAVAILABLE` when the server cannot be reached or refuses the login, and
 * `ERR_STORE_SCHEMA_TOO_NEW` for a schema a newer Ledge wrote.
 */
export async function openPostgresHubStore(opts: PostgresHubStoreOptions): Promise<HubStore> {
  const log = (opts.logger ?? silentLogger()).child({ component: 'storage-postgres' })
  const schema = opts.schema ?? DEFAULT_SCHEMA
  if (!isPostgresUrl(opts.url)) {
    throw new AppError('ERR_STORE_OPTIONS_INVALID', 'invalid', `the store URL '${redactUrl(opts.url)}' is not postgres://user@host:port/database`)
  }
  if (!SCHEMA_NAME.test(schema)) {
    throw new AppError('ERR_STORE_OPTIONS_INVALID', 'invalid', `the schema name '${schema}' must be lower-case letters, digits and '_', starting with a letter or '_'`)
  }
  const where = redactUrl(opts.url)
  const db = openPool({
    connectionString: opts.url,
    schema,
    max: opts.maxConnections ?? 10,
    onIdleError: (err) => log.warn({ event: 'store.connection_lost', err: err.message }, 'an idle PostgreSQL connection failed; the pool replaces it'),
  })
  try {
    const found = await migrate(db, schema, log).catch((err: unknown) => {
      if (err instanceof AppError) throw err
      throw storeErrors.unavailable(`PostgreSQL at ${where}: ${(err as Error).message}`, err)
    })
    log.info({ event: 'store.opened', url: where, schema, schemaVersion: SCHEMA_VERSION, migratedFrom: found }, 'store opened')
    return new PostgresHubStore(db, log, where)
  } catch (err) {
    await db.end().catch(() => undefined)
    throw err
  }
}
