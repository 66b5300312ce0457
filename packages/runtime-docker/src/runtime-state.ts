/**
 * The little the engine cannot keep for the runtime, in `<stateDir>/docker-runtime.json` (memory only without a
 * stateDir): which run of a container was stopped on request (so that its exit code 137/143 reads `stopped` after a
 * daemon restart too), and when each image was last used by a module (for image clean-up).
 *
 * Written to a temporary file, fsynced and renamed: a crash leaves the old or the new file.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError, type Logger } from '@ledge/common'

export const STATE_SCHEMA_VERSION = 1

export interface RuntimeStateData {
  schemaVersion: number
  /** Container id → the `State.StartedAt` of its run that was stopped on request. */
  stoppedOnRequest: Record<string, string>
  /** Image id → ISO time it was last seen used by a module container of this runtime. */
  imageLastUsed: Record<string, string>
}

export class RuntimeState {
  data: RuntimeStateData = { schemaVersion: STATE_SCHEMA_VERSION, stoppedOnRequest: {}, imageLastUsed: {} }
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly dir: string | undefined, private readonly log: Logger) {}

  private get file(): string | undefined {
    return this.dir && join(this.dir, 'docker-runtime.json')
  }

  async load(): Promise<void> {
    if (!this.file) return
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    let parsed: Partial<RuntimeStateData>
    try {
      parsed = JSON.parse(text) as Partial<RuntimeStateData>
    } catch (err) {
      this.log.warn({ err, event: 'state.unreadable', file: this.file }, 'the docker runtime state is unreadable: starting afresh')
      return
    }
    if ((parsed.schemaVersion ?? 0) > STATE_SCHEMA_VERSION) {
      throw new AppError('ERR_RUNTIME_STATE_TOO_NEW', 'precondition', `${this.file} has schemaVersion ${parsed.schemaVersion}; this Ledge reads up to ${STATE_SCHEMA_VERSION}`)
    }
    this.data = { schemaVersion: STATE_SCHEMA_VERSION, stoppedOnRequest: parsed.stoppedOnRequest ?? {}, imageLastUsed: parsed.imageLastUsed ?? {} }
  }

  /** Writes the current data (writes are serialised; the last one wins). */
  save(): Promise<void> {
    const file = this.file
    if (!file) return Promise.resolve()
    const next = this.writing.then(async () => {
      await mkdir(this.dir!, { recursive: true, mode: 0o700 })
      const tmp = `${file}.tmp`
      const fh = await open(tmp, 'w', 0o600)
      try {
        await fh.writeFile(JSON.stringify(this.data))
        await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, file)
    })
    this.writing = next.catch((err: unknown) => this.log.error({ err, event: 'state.write_failed', file }, 'could not write the docker runtime state'))
    return next
  }
}
