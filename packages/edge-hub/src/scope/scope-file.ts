/**
 * The device scope on disk, so that clients can authenticate after a restart while the hub is unreachable. The file
 * holds keys: mode 0600, written atomically (temporary file, fsync, rename, fsync of the folder), never half-written.
 */
import { open, readFile, rename, chmod, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { ServiceIdentity } from './service-identity.js'

export const SCOPE_FILE_SCHEMA_VERSION = 1

export interface ScopeFile {
  schemaVersion: number
  hubHostname: string
  edgeDeviceId: string
  /** Epoch ms of the full refresh these identities come from. */
  refreshedAt: number
  identities: ServiceIdentity[]
}

/** Writes `data` to `file` atomically with mode 0600. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await chmod(tmp, 0o600) // whatever the umask made of it
    await rename(tmp, file)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
  const dir = await open(dirname(file), 'r')
  try {
    await dir.sync()
  } catch {
    /* some file systems cannot fsync a folder */
  } finally {
    await dir.close()
  }
}

export async function saveScopeFile(file: string, content: Omit<ScopeFile, 'schemaVersion'>): Promise<void> {
  await writeFileAtomic(file, JSON.stringify({ schemaVersion: SCOPE_FILE_SCHEMA_VERSION, ...content }))
}

/**
 * Reads the file; undefined when it does not exist. Throws, naming the problem, when it is unreadable, of a newer
 * schema, or for another hub or edge device (the caller logs it and starts empty).
 */
export async function loadScopeFile(file: string, expect: { hubHostname: string; edgeDeviceId: string }): Promise<ScopeFile | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const parsed = JSON.parse(text) as Partial<ScopeFile>
  if (parsed.schemaVersion !== SCOPE_FILE_SCHEMA_VERSION) throw new Error(`device scope file ${file} has schema version ${String(parsed.schemaVersion)}; this edge hub reads ${SCOPE_FILE_SCHEMA_VERSION}`)
  if (parsed.hubHostname?.toLowerCase() !== expect.hubHostname.toLowerCase() || parsed.edgeDeviceId !== expect.edgeDeviceId) {
    throw new Error(`device scope file ${file} is for ${parsed.edgeDeviceId}@${parsed.hubHostname}, not ${expect.edgeDeviceId}@${expect.hubHostname}`)
  }
  if (!Array.isArray(parsed.identities)) throw new Error(`device scope file ${file} has no identities`)
  return parsed as ScopeFile
}
