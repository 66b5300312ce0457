/**
 * The edge hub's copy of its clients' twins, and the reported patches the cloud has not taken yet, kept in one file
 * (written atomically, at most every 200 ms) so a restart while the hub is unreachable still serves twins and still
 * sends every reported patch once the link returns.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '@ledge/common'
import type { TwinDocument } from '../ports.js'

interface CacheFile {
  twins: Record<string, TwinDocument>
  /** Per identity key, the reported patches not yet accepted by the cloud, oldest first. */
  pending: Record<string, Record<string, unknown>[]>
}

const SAVE_DELAY_MS = 200

export class TwinCache {
  private readonly data: CacheFile
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly file: string, private readonly log: Logger) {
    this.data = load(file, log)
  }

  get(key: string): TwinDocument | undefined {
    return this.data.twins[key]
  }

  put(key: string, doc: TwinDocument): void {
    this.data.twins[key] = doc
    this.save()
  }

  pending(key: string): readonly Record<string, unknown>[] {
    return this.data.pending[key] ?? []
  }

  keysWithPending(): string[] {
    return Object.keys(this.data.pending).filter((k) => (this.data.pending[k]?.length ?? 0) > 0)
  }

  enqueue(key: string, patch: Record<string, unknown>): void {
    ;(this.data.pending[key] ??= []).push(patch)
    this.save()
  }

  /** The oldest pending patch of `key` was accepted by the cloud. */
  dequeue(key: string): void {
    const list = this.data.pending[key]
    list?.shift()
    if (list && list.length === 0) delete this.data.pending[key]
    this.save()
  }

  /** Writes now (shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 })
    const tmp = `${this.file}.tmp`
    writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 })
    renameSync(tmp, this.file)
  }

  private save(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      try {
        this.flush()
      } catch (err) {
        this.log.warn({ err, event: 'twins.cache_save_failed', file: this.file }, 'could not save the twin cache')
      }
    }, SAVE_DELAY_MS)
  }
}

function load(file: string, log: Logger): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheFile>
    return { twins: parsed.twins ?? {}, pending: parsed.pending ?? {} }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, event: 'twins.cache_unreadable', file }, 'the twin cache could not be read; starting empty')
    return { twins: {}, pending: {} }
  }
}
