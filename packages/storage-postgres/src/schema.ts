/**
 * The schema and its migrations, in one PostgreSQL schema (namespace) of the store's own. The version lives in
 * `ledge_schema_version`; each migration runs in one transaction together with the version bump, under an advisory
 * lock, so that hub nodes starting together migrate once and a crash leaves the schema at one version or the next.
 * Append migrations, never edit one that has shipped.
 *
 * Every id column is `COLLATE "C"`: ids then sort and compare byte by byte, as in the SQLite store (BINARY), which
 * the paging (`device_id > $1`, row comparisons) and the session range (`[d + '/', d + '0')`) rely on; a linguistic
 * collation would skip punctuation and order ids differently from one database to the next.
 */
import { AppError, type Logger } from '@ledge/common'
import type { Db } from './db.js'

interface Migration {
  version: number
  description: string
  sql: string
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'identities, c2d messages, event log, policies, mqtt sessions, dps, configurations',
    sql: `
      -- module_id is '' for the device itself (NULL would make every device row distinct in the primary key).
      -- The columns the store filters or writes on its own are real columns; the rest of the record is JSON (doc),
      -- kept as text so that it comes back exactly as written (jsonb reorders keys).
      CREATE TABLE identities (
        device_id          text COLLATE "C" NOT NULL,
        module_id          text COLLATE "C" NOT NULL DEFAULT '',
        status             text   NOT NULL,
        revision           bigint NOT NULL,
        last_activity_time text   NOT NULL,
        doc                text   NOT NULL,
        PRIMARY KEY (device_id, module_id)
      );
      CREATE INDEX identities_devices ON identities (device_id, status) WHERE module_id = '';

      -- bigserial: seq never goes back, even when the newest message is completed or purged.
      CREATE TABLE c2d_messages (
        seq               bigserial PRIMARY KEY,
        device_id         text COLLATE "C" NOT NULL,
        enqueued_time     bigint NOT NULL,
        expiry_time       bigint NOT NULL,
        delivery_count    integer NOT NULL DEFAULT 0,
        system_properties text   NOT NULL,
        properties        text   NOT NULL,
        body              bytea  NOT NULL
      );
      CREATE INDEX c2d_messages_device ON c2d_messages (device_id, seq);
      CREATE INDEX c2d_messages_expiry ON c2d_messages (expiry_time);

      -- Offsets come from event_log_state.next_offset: an append takes that row's lock until it commits, so appends
      -- from every hub node commit in offset order and a reader never sees offset n + 1 before n. size = body bytes,
      -- kept so that trims never read the bodies.
      CREATE TABLE events (
        event_offset      bigint PRIMARY KEY,
        device_id         text COLLATE "C" NOT NULL,
        module_id         text COLLATE "C" NOT NULL,
        enqueued_time     bigint  NOT NULL,
        system_properties text    NOT NULL,
        properties        text    NOT NULL,
        size              integer NOT NULL,
        body              bytea   NOT NULL
      );
      CREATE INDEX events_device ON events (device_id, module_id, event_offset);
      CREATE INDEX events_time ON events (enqueued_time);
      CREATE TABLE event_log_state (
        id          integer PRIMARY KEY CHECK (id = 1),
        next_offset bigint NOT NULL,
        total_bytes bigint NOT NULL
      );
      INSERT INTO event_log_state (id, next_offset, total_bytes) VALUES (1, 1, 0);

      CREATE TABLE policies (
        key_name text COLLATE "C" PRIMARY KEY,
        doc      text NOT NULL
      );

      -- subscriptions: a JSON array of the dialect's subscription kinds.
      CREATE TABLE mqtt_sessions (
        client_id     text COLLATE "C" PRIMARY KEY,
        subscriptions text NOT NULL
      );

      CREATE TABLE dps_settings (
        name  text PRIMARY KEY,
        value text NOT NULL
      );
      CREATE TABLE dps_enrollments (
        registration_id text COLLATE "C" PRIMARY KEY,
        doc             text NOT NULL
      );
      CREATE TABLE dps_enrollment_groups (
        group_id text COLLATE "C" PRIMARY KEY,
        doc      text NOT NULL
      );
      -- group_id is '' for a registration through an individual enrollment.
      CREATE TABLE dps_registrations (
        registration_id text COLLATE "C" PRIMARY KEY,
        group_id        text COLLATE "C" NOT NULL,
        doc             text NOT NULL
      );
      CREATE INDEX dps_registrations_group ON dps_registrations (group_id, registration_id);

      CREATE TABLE configurations (
        id   text COLLATE "C" PRIMARY KEY,
        etag text NOT NULL,
        doc  text NOT NULL
      );
    `,
  },
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/**
 * Creates the namespace if needed and brings it up to {@link SCHEMA_VERSION}; refuses one written by a newer Ledge
 * (AppError `ERR_STORE_SCHEMA_TOO_NEW`) and leaves it as it was. Returns the version found.
 */
export async function migrate(db: Db, schema: string, log: Logger): Promise<number> {
  return db.transaction(async (tx) => {
    // One migrator at a time per namespace; the others wait here and then find nothing left to do.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ledge-schema:${schema}`])
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`)
    // The pool's connections name the schema in their search_path; this one may have connected before it existed.
    await tx.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`)
    await tx.query('CREATE TABLE IF NOT EXISTS ledge_schema_version (version integer NOT NULL)')
    const rows = await tx.rows<{ version: number }>('SELECT version FROM ledge_schema_version')
    const found = rows[0]?.version ?? 0
    if (found > SCHEMA_VERSION) {
      throw new AppError('ERR_STORE_SCHEMA_TOO_NEW', 'internal', `the PostgreSQL schema '${schema}' has version ${found}; this Ledge knows up to ${SCHEMA_VERSION}`)
    }
    if (rows.length === 0) await tx.query('INSERT INTO ledge_schema_version (version) VALUES (0)')
    for (const m of MIGRATIONS) {
      if (m.version <= found) continue
      await tx.query(m.sql)
      await tx.query('UPDATE ledge_schema_version SET version = $1', [m.version])
      log.info({ event: 'store.migrated', version: m.version, description: m.description, schema }, 'store schema migrated')
    }
    return found
  })
}

/** A schema name as the store accepts it: a plain lower-case SQL identifier, so it needs no quoting anywhere. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
