/**
 * Keeps the last valid deployment in `<stateDir>/backup.json` (iotedge `FileBackupConfigSource`) and serves it
 * when the inner source has none: the agent starts its modules even when the hub is unreachable at boot.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from '@ledge/common'
import { parseAgentDesired, stripTwinMetadata } from '@ledge/protocol'
import type { DesiredDocument, DesiredSource } from './desired-source.js'

const SCHEMA_VERSION = '1.0'

interface BackupFile {
  schemaVersion: string
  version: number | null
  desired: unknown
}

export class BackupDesiredSource implements DesiredSource {
  private backup: DesiredDocument | undefined
  private loaded = false
  private lastWritten: string | undefined

  constructor(private readonly d: { inner: DesiredSource; file: string; log: Logger }) {}

  onChange(listener: () => void): () => void {
    return this.d.inner.onChange(listener)
  }

  async get(signal?: AbortSignal): Promise<DesiredDocument> {
    try {
      const doc = await this.d.inner.get(signal)
      await this.save(doc)
      return doc
    } catch (err) {
      const backup = await this.load()
      if (!backup) throw err
      this.d.log.debug({ event: 'desired.from-backup', err }, 'no deployment from the hub: using the backup')
      return backup
    }
  }

  private async load(): Promise<DesiredDocument | undefined> {
    if (this.loaded) return this.backup
    this.loaded = true
    try {
      const file = JSON.parse(await readFile(this.d.file, 'utf8')) as BackupFile
      if (file.schemaVersion !== SCHEMA_VERSION) {
        this.d.log.warn({ event: 'backup.unsupported', schemaVersion: file.schemaVersion }, `ignoring ${this.d.file}: unknown schemaVersion`)
        return undefined
      }
      this.backup = { version: file.version ?? undefined, desired: file.desired, source: 'backup' }
      this.d.log.info({ event: 'backup.loaded', version: file.version }, `loaded the deployment backup (version ${file.version})`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.d.log.warn({ event: 'backup.unreadable', err }, `cannot read ${this.d.file}`)
    }
    return this.backup
  }

  /** Only a deployment that validates is kept: a bad one must not replace the last good one. */
  private async save(doc: DesiredDocument): Promise<void> {
    if (doc.source !== 'twin' || !parseAgentDesired(doc.desired).ok) return
    const file: BackupFile = { schemaVersion: SCHEMA_VERSION, version: doc.version ?? null, desired: stripTwinMetadata(doc.desired) }
    const text = JSON.stringify(file, null, 2)
    if (text === this.lastWritten) return
    try {
      await mkdir(dirname(this.d.file), { recursive: true })
      await writeFile(`${this.d.file}.tmp`, text, { mode: 0o600 })
      await rename(`${this.d.file}.tmp`, this.d.file)
      this.lastWritten = text
      this.backup = { version: doc.version, desired: file.desired, source: 'backup' }
      this.loaded = true
      this.d.log.info({ event: 'backup.saved', version: doc.version }, 'saved the deployment backup')
    } catch (err) {
      this.d.log.warn({ event: 'backup.failed', err }, `cannot write ${this.d.file}`)
    }
  }
}
