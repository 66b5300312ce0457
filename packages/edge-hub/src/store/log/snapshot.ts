/**
 * The log engine's small state file: queue definitions and checkpoints, and the counters that must never go back.
 * Written atomically (temp file, fsync, rename, fsync of the directory) before any segment is deleted, so that the
 * queue and checkpoint records a deleted segment held are not lost.
 */
import { open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { errors } from '../errors.js'

export const STATE_FILE = 'state.json'
export const STATE_SCHEMA_VERSION = 1

export interface Snapshot {
  schemaVersion: number
  nextSeq: number
  nextQueueId: number
  queues: { id: number; endpointId: string; priority: number; checkpoint: number }[]
}

export async function readSnapshot(dir: string): Promise<Snapshot | undefined> {
  let text: string
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let s: Snapshot
  try {
    s = JSON.parse(text) as Snapshot
  } catch (err) {
    throw errors.corrupt(`${STATE_FILE} is not JSON`, { cause: err })
  }
  if (s.schemaVersion > STATE_SCHEMA_VERSION) throw errors.schemaTooNew(s.schemaVersion, STATE_SCHEMA_VERSION)
  return s
}

export async function writeSnapshot(dir: string, s: Snapshot, fsync: boolean): Promise<number> {
  const tmp = join(dir, `${STATE_FILE}.tmp`)
  const data = Buffer.from(JSON.stringify(s))
  const fh = await open(tmp, 'w')
  try {
    await fh.write(data, 0, data.length, 0)
    if (fsync) await fh.datasync()
  } finally {
    await fh.close()
  }
  await rename(tmp, join(dir, STATE_FILE))
  if (fsync) await syncDir(dir)
  return data.length
}

/** Makes a created, renamed or deleted directory entry durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
