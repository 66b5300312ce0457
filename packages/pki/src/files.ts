/**
 * Reading PEM files with errors that name the file, and writing certificate and key files atomically with a fixed mode.
 */
import { randomBytes } from 'node:crypto'
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { errors } from './errors.js'

/** Private keys: owner read/write only. */
export const KEY_FILE_MODE = 0o600
/** Certificates are public. */
export const CERT_FILE_MODE = 0o644

export async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/** Reads a text file; `source` names it in errors ("CA certificate file '/x/ca.pem'"). */
export async function readText(path: string, source: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw errors.fileMissing(source)
    throw errors.fileUnreadable(source, err)
  }
}

/** Writes `text` to a temporary file beside `path` with `mode`, then renames it over `path`: readers never see half a file. */
export async function writeFileAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' })
    await chmod(tmp, mode) // the umask may have removed bits we want (0644); it can only remove, never add
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** Group or other permission bits on a key file are worth a warning. */
export async function looseModeWarning(path: string, source: string): Promise<string | undefined> {
  const { mode } = await stat(path)
  if ((mode & 0o077) === 0) return undefined
  return `${source} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}; a private key should be 0600`
}
