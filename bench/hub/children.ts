/** Forked bench processes (load workers, the sink) and a request/reply call over their IPC channel. */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface BenchChild {
  name: string
  process: ChildProcess
  pid: number
}

/** Forks `file` (next to this one) with tsx and waits for its `readyType` message. */
export async function forkChild(name: string, file: string, readyType: string): Promise<BenchChild> {
  const path = fileURLToPath(new URL(file, import.meta.url))
  const child = fork(path, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  await waitForReply(child, name, readyType, 30_000)
  return { name, process: child, pid: child.pid! }
}

function waitForReply<T>(child: ChildProcess, name: string, type: string, timeoutMs: number, onOther?: (msg: { type: string }) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (msg: { type: string; message?: string }): void => {
      if (msg.type === type) {
        done()
        resolve(msg as T)
      } else if (msg.type === 'fatal') {
        done()
        reject(new Error(`${name} failed: ${msg.message}`))
      } else onOther?.(msg)
    }
    const onExit = (code: number | null, signal: string | null): void => {
      done()
      reject(new Error(`${name} exited (${code ?? signal}) while the bench waited for '${type}'`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${name} sent no '${type}' within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/** Sends `cmd` and resolves with the first reply of type `type`; other messages go to `onOther`. */
export function call<T>(c: BenchChild, cmd: object, type: string, timeoutMs: number, onOther?: (msg: { type: string }) => void): Promise<T> {
  const reply = waitForReply<T>(c.process, c.name, type, timeoutMs, onOther)
  c.process.send(cmd)
  return reply
}

/** Ends a child: closing the IPC channel makes it exit; SIGKILL if it does not within `graceMs`. */
export async function endChild(c: BenchChild, graceMs = 5000): Promise<void> {
  const p = c.process
  if (p.exitCode !== null || p.signalCode !== null) return
  const exited = new Promise<void>((r) => p.once('exit', () => r()))
  if (p.connected) p.disconnect()
  const killer = setTimeout(() => p.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(killer)
}
