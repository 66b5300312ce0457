/**
 * The schema and its migrations. The version lives in SQLite's `user_version` header field; each migration runs in
 * its own transaction together with the version bump, so a crash leaves the file at one version or the next.
 * Append migrations, never edit one that has shipped.
 */
import type Database from 'better-sqlite3'
import { AppError, type Logger } from '@ledge/common'

interface Migration {
  version: number
  description: string
  sql: string
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'identities, c2d messages, event log, policies',
    sql: `
      -- module_id is '' for the device itself: NULL would make every device row distinct in the primary key.
      -- The columns the store filters or writes on its own are real columns; the rest of the record is JSON (doc).
      CREATE TABLE identities (
        device_id          TEXT    NOT NULL,
        module_id          TEXT    NOT NULL DEFAULT '',
        status             TEXT    NOT NULL,
        revision           INTEGER NOT NULL,
        last_activity_time TEXT    NOT NULL,
        doc                TEXT    NOT NULL,
        PRIMARY KEY (device_id, module_id)
      );
      -- Devices only, with status: listDevices and scan page through it; countDevices reads only the index.
      CREATE INDEX identities_devices ON identities (device_id, status) WHERE module_id = '';

      -- AUTOINCREMENT: seq never goes back, even when the newest message is completed or purged.
      CREATE TABLE c2d_messages (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id         TEXT    NOT NULL,
        enqueued_time     INTEGER NOT NULL,
        expiry_time       INTEGER NOT NULL,
        delivery_count    INTEGER NOT NULL DEFAULT 0,
        system_properties TEXT    NOT NULL,
        properties        TEXT    NOT NULL,
        body              BLOB    NOT NULL
      );
      CREATE INDEX c2d_messages_device ON c2d_messages (device_id, seq);
      CREATE INDEX c2d_messages_expiry ON c2d_messages (expiry_time);

      -- Offsets come from event_log_state.next_offset (one counter update per append, not one per row), so
      -- trimming everything never resets them. size = length(body), kept so that trims never read the blobs.
      CREATE TABLE events (
        offset            INTEGER PRIMARY KEY,
        device_id         TEXT    NOT NULL,
        module_id         TEXT    NOT NULL,
        enqueued_time     INTEGER NOT NULL,
        system_properties TEXT    NOT NULL,
        properties        TEXT    NOT NULL,
        size              INTEGER NOT NULL,
        body              BLOB    NOT NULL
      );
      CREATE INDEX events_device ON events (device_id, offset);
      CREATE INDEX events_time ON events (enqueued_time);
      -- One row: the next offset and the running total of body bytes (the size trim never SUMs the table).
      CREATE TABLE event_log_state (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        next_offset INTEGER NOT NULL,
        total_bytes INTEGER NOT NULL
      );
      INSERT INTO event_log_state (id, next_offset, total_bytes) VALUES (1, 1, 0);

      CREATE TABLE policies (
        key_name TEXT PRIMARY KEY,
        doc      TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'persistent MQTT sessions',
    sql: `
      -- subscriptions: a JSON array of the dialect's subscription kinds.
      CREATE TABLE mqtt_sessions (
        client_id     TEXT PRIMARY KEY,
        subscriptions TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'device provisioning service: id scope, enrollments, enrollment groups, registrations',
    sql: `
      -- One row per setting of the provisioning service (the id scope, generated once).
      CREATE TABLE dps_settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      -- The DPS service API's documents, whole, as JSON.
      CREATE TABLE dps_enrollments (
        registration_id TEXT PRIMARY KEY,
        doc             TEXT NOT NULL
      );
      CREATE TABLE dps_enrollment_groups (
        group_id TEXT PRIMARY KEY,
        doc      TEXT NOT NULL
      );
      -- group_id is '' for a registration through an individual enrollment.
      CREATE TABLE dps_registrations (
        registration_id TEXT PRIMARY KEY,
        group_id        TEXT NOT NULL,
        doc             TEXT NOT NULL
      );
      CREATE INDEX dps_registrations_group ON dps_registrations (group_id, registration_id);
    `,
  },
  {
    version: 4,
    description: 'configurations (automatic edge deployments)',
    sql: `
      -- The hub's configuration record as JSON; etag is a column for the compare-and-swap of updates.
      CREATE TABLE configurations (
        id   TEXT PRIMARY KEY,
        etag TEXT NOT NULL,
        doc  TEXT NOT NULL
      );
    `,
  },
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** The file's schema version (0 for a new file). Throws AppError `ERR_STORE_SCHEMA_TOO_NEW` if a newer Ledge wrote it. */
export function readSchemaVersion(db: Database.Database): number {
  const found = db.pragma('user_version', { simple: true }) as number
  if (found > SCHEMA_VERSION) {
    throw new AppError('ERR_STORE_SCHEMA_TOO_NEW', 'internal', `the database '${db.name}' has schema version ${found}; this Ledge knows up to ${SCHEMA_VERSION}`)
  }
  return found
}

/** Brings the file up to {@link SCHEMA_VERSION}; refuses a file written by a newer Ledge. Returns the version found. */
export function migrate(db: Database.Database, log: Logger): number {
  const found = readSchemaVersion(db)
  for (const m of MIGRATIONS) {
    if (m.version <= found) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.pragma(`user_version = ${m.version}`)
    }).immediate()
    log.info({ event: 'store.migrated', version: m.version, description: m.description }, 'store schema migrated')
  }
  return found
}
