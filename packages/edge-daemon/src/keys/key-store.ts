/**
 * The device's symmetric key on disk: `<home_dir>/keys/device.key` (mode 0600, folder 0700). Nothing is derived from
 * it ahead of time: module keys come from the hub with their identities.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDir, writeFileAtomic } from '../files.js'

export const KEYS_DIR_MODE = 0o700
export const KEY_FILE_MODE = 0o600

export class KeyStore {
  readonly dir: string
  readonly deviceKeyFile: string

  constructor(homeDir: string) {
    this.dir = join(homeDir, 'keys')
    this.deviceKeyFile = join(this.dir, 'device.key')
  }

  async init(): Promise<void> {
    await ensureDir(this.dir, KEYS_DIR_MODE)
  }

  /** Stores the key, replacing the one there (the file is rewritten only when it changes). */
  async saveDeviceKey(keyBase64: string): Promise<void> {
    const current = await this.readDeviceKey()
    if (current === keyBase64) return
    await writeFileAtomic(this.deviceKeyFile, `${keyBase64}\n`, KEY_FILE_MODE)
  }

  async readDeviceKey(): Promise<string | undefined> {
    try {
      return (await readFile(this.deviceKeyFile, 'utf8')).trim()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }
}
