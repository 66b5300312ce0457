/**
 * What the agent remembers per module between reconciles and restarts: restart count, last restart, the status
 * it last applied (iotedge keeps the same in its `ModuleState` store). In memory, written through to
 * `<stateDir>/module-state.json` when a file is given.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { ModuleRecord } from './model.js'

const SCHEMA_VERSION = 1

export class ModuleStateStore {
  private readonly records = new Map<string, ModuleRecord>()
  private writing: Promise<void> = Promise.resolve()

  private constructor(private readonly file: string | undefined) {}

  static inMemory(): ModuleStateStore {
    return new ModuleStateStore(undefined)
  }

  /** Loads `file` if it exists (a corrupt or foreign file starts empty). */
  static async open(file: string): Promise<ModuleStateStore> {
    const store = new ModuleStateStore(file)
    try {
      const doc = JSON.parse(await readFile(file, 'utf8')) as { schemaVersion?: number; modules?: Record<string, ModuleRecord> }
      if (doc.schemaVersion === SCHEMA_VERSION && doc.modules) for (const [k, v] of Object.entries(doc.modules)) store.records.set(k, v)
    } catch {
      /* no file yet */
    }
    return store
  }

  get(name: string): ModuleRecord | undefined {
    return this.records.get(name)
  }

  async update(name: string, change: (r: ModuleRecord) => ModuleRecord): Promise<void> {
    this.records.set(name, change(this.records.get(name) ?? { restartCount: 0 }))
    await this.flush()
  }

  async delete(name: string): Promise<void> {
    if (this.records.delete(name)) await this.flush()
  }

  private flush(): Promise<void> {
    const file = this.file
    if (!file) return Promise.resolve()
    const text = JSON.stringify({ schemaVersion: SCHEMA_VERSION, modules: Object.fromEntries(this.records) }, null, 2)
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(file), { recursive: true })
      await writeFile(`${file}.tmp`, text, { mode: 0o600 })
      await rename(`${file}.tmp`, file)
    })
    return this.writing
  }
}
