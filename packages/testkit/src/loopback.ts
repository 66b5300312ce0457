/**
 * Loopback addresses of a test's own. The Azure service SDK always dials port 443 (azure-sdk-wire.md §1), so tests
 * that run in parallel each bind 443 on a different 127.0.0.x.
 */
import { createServer } from 'node:net'

function canBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    s.listen(port, host, () => s.close(() => resolve(undefined)))
  })
}

/** A 127.0.0.x (x in 10..249) where `port` is free right now; throws naming the problem when none is. */
export async function freeLoopbackAddress(port = 443): Promise<string> {
  let lastError = ''
  for (let attempt = 0; attempt < 40; attempt++) {
    const host = `127.0.0.${10 + Math.floor(Math.random() * 240)}`
    const err = await canBind(host, port)
    if (!err) return host
    lastError = err
    if (err === 'EACCES') break
  }
  throw new Error(`cannot bind port ${port} on a loopback address (${lastError})${lastError === 'EACCES' ? ': run as root or allow unprivileged ports' : ''}`)
}

/** Why port 443 cannot be used here, or undefined. */
export async function privilegedPortProblem(): Promise<string | undefined> {
  try {
    await freeLoopbackAddress(443)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}
