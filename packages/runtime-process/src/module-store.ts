/**
 * Module records on disk, `stateDir/modules/<name>.json`, so that a restarted daemon knows its modules. Each write
 * goes to a temporary file that is fsynced and renamed over the record (then the directory is fsynced), so a crash
 * leaves the old record or the new one, never half of one. Writes of one record are queued in call order.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModuleConfig, ModuleStatus } from '@ledge/module-runtime'
import { AppError, type Logger } from '@ledge/common'

export const RECORD_SCHEMA_VERSION = 1
const TMP = '.tmp'

export interface ModuleRecord {
  schemaVersion: number
  config: ModuleConfig
  status: ModuleStatus
  createdAt: string
  /** The last start and the last exit (the exit is kept while the module runs again, like Azure's lastExitTimeUtc). */
  startedAt?: string
  exitedAt?: string
  exitCode?: number
  description?: string
  /** While running: the main process, with its start time from /proc (see proc.ts), which tells it from a reused pid. */
  pid?: number
  pidStartTime?: string
}

export class ModuleStore {
  private readonly queues = new Map<string, Promise<void>>()
  private tmpCounter = 0

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  /**
   * Every record; leftovers of interrupted writes are deleted and unreadable records skipped with a warning. A record
   * from a newer Ledge (higher `schemaVersion`) is refused: the daemon must not guess at what it means.
   */
  async loadAll(): Promise<ModuleRecord[]> {
    await mkdir(this.dir, { recursive: true })
    const records: ModuleRecord[] = []
    for (const file of (await readdir(this.dir)).sort()) {
      const path = join(this.dir, file)
      if (file.endsWith(TMP)) {
        await rm(path, { force: true })
        continue
      }
      if (!file.endsWith('.json')) continue
      let record: ModuleRecord
      try {
        record = JSON.parse(await readFile(path, 'utf8')) as ModuleRecord
        if (typeof record.config?.name !== 'string' || `${record.config.name}.json` !== file) throw new Error('the record does not name its module')
      } catch (err) {
        this.log.warn({ err, event: 'record.unreadable', file: path }, 'skipping an unreadable module record')
        continue
      }
      if (record.schemaVersion > RECORD_SCHEMA_VERSION) {
        throw new AppError('ERR_RUNTIME_STATE_TOO_NEW', 'precondition', `${path} has schemaVersion ${record.schemaVersion}; this Ledge knows ${RECORD_SCHEMA_VERSION}`)
      }
      records.push(record)
    }
    return records
  }

  /** Writes `record` as it is now (later changes to the object are not part of this write). */
  save(record: ModuleRecord): Promise<void> {
    const name = record.config.name
    const text = `${JSON.stringify(record, null, 2)}\n`
    return this.enqueue(name, () => this.write(name, text))
  }

  delete(name: string): Promise<void> {
    return this.enqueue(name, () => rm(join(this.dir, `${name}.json`), { force: true }))
  }

  /** Resolves when every queued write has finished. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.queues.values()])
  }

  private enqueue(name: string, op: () => Promise<void>): Promise<void> {
    const result = (this.queues.get(name) ?? Promise.resolve()).then(op)
    const tail = result.catch(() => {})
    this.queues.set(name, tail)
    void tail.then(() => {
      if (this.queues.get(name) === tail) this.queues.delete(name)
    })
    return result
  }

  private async write(name: string, text: string): Promise<void> {
    const tmp = join(this.dir, `.${name}.${process.pid}.${this.tmpCounter++}${TMP}`)
    const fh = await open(tmp, 'w', 0o600)
    try {
      await fh.writeFile(text)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, join(this.dir, `${name}.json`))
    const dir = await open(this.dir, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }
}
