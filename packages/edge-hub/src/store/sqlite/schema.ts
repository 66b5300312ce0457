/**
 * The SQLite store's schema (version in `user_version`).
 *
 * - `messages`: each message once; `refs` counts the queue references still holding it.
 * - `refs`: one row per (queue, message), clustered by (queue, seq) so a queue reads and checkpoints as a range.
 * - `refs_expiry`: the TTL cleaner's index (earliest expiry first).
 * - `queues`: endpoint and priority, with the checkpoint.
 * - `meta.next_seq`: offsets are never reused, even after every message is gone; `meta.messages` counts the rows of
 *   `messages` (a `count(*)` reads the whole table: 0.4 s for 20,000 messages of 1 KiB).
 */
import type Database from 'better-sqlite3'
import { errors } from '../errors.js'

export const SCHEMA_VERSION = 1

const V1 = `
CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), next_seq INTEGER NOT NULL, messages INTEGER NOT NULL);
INSERT INTO meta (id, next_seq, messages) VALUES (1, 1, 0);
CREATE TABLE queues (
  id INTEGER PRIMARY KEY,
  endpoint_id TEXT NOT NULL,
  priority INTEGER NOT NULL,
  checkpoint INTEGER NOT NULL DEFAULT 0,
  UNIQUE (endpoint_id, priority)
);
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  enqueued_at INTEGER NOT NULL,
  refs INTEGER NOT NULL,
  header TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE TABLE refs (
  queue_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue_id, seq)
) WITHOUT ROWID;
CREATE INDEX refs_expiry ON refs (expires_at);
`

/** Creates the schema in an empty file, checks the version of an existing one. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > SCHEMA_VERSION) throw errors.schemaTooNew(version, SCHEMA_VERSION)
  if (version === SCHEMA_VERSION) return
  db.transaction(() => {
    db.exec(V1)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}
