/**
 * scripts/start-dockerd.sh, the engine starter CI runs first, against a second real engine of the test's own (its own
 * socket, pid file, exec and data roots, beside the engine the other tests use). An engine killed with the rest of a
 * machine's processes leaves pid files whose numbers later belong to other processes; the starter must remove them
 * rather than fail ("pid file found") or let dockerd adopt, and later kill, a stranger as its containerd.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireEnvironment } from '@ledge/testkit'
import { connect } from '../src/index.js'

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'start-dockerd.sh')

function engineProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'start-dockerd.sh starts dockerd, which needs root'
  if (spawnSync('sh', ['-c', 'command -v dockerd || test -x /usr/sbin/dockerd']).status !== 0) {
    return 'dockerd is not installed: run packages/runtime-docker/scripts/start-dockerd.sh as root'
  }
  return undefined
}
const problem = engineProblem()

interface Engine {
  dir: string
  env: NodeJS.ProcessEnv
  socket: string
  pidfile: string
  containerdPidfile: string
  log: string
}

/** Paths for an engine of the test's own; the engine, if one started, is stopped and its folder removed after. */
function ownEngine(t: TestContext): Engine {
  // Short: containerd's socket path under the exec root must fit in a sockaddr_un (108 bytes).
  const dir = mkdtempSync(join(tmpdir(), 'ldk-'))
  const engine: Engine = {
    dir,
    socket: join(dir, 'd.sock'),
    pidfile: join(dir, 'docker.pid'),
    containerdPidfile: join(dir, 'exec', 'containerd', 'containerd.pid'),
    log: join(dir, 'dockerd.log'),
    env: {},
  }
  engine.env = {
    ...process.env,
    LEDGE_DOCKER_SOCKET: engine.socket,
    LEDGE_DOCKERD_PIDFILE: engine.pidfile,
    LEDGE_DOCKERD_EXEC_ROOT: join(dir, 'exec'),
    LEDGE_DOCKERD_DATA_ROOT: join(dir, 'data'),
    LEDGE_DOCKERD_LOG: engine.log,
    LEDGE_DOCKERD_WAIT_SECS: '60',
  }
  t.after(async () => {
    const pid = Number(readFileIfAny(engine.pidfile))
    if (pid > 0 && processName(pid) === 'dockerd') {
      process.kill(pid, 'SIGTERM')
      for (let i = 0; i < 200 && processName(pid) === 'dockerd'; i++) await new Promise((r) => setTimeout(r, 100))
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return engine
}

function readFileIfAny(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return ''
  }
}

/** The program a live process runs (its /proc comm), or '' once it is gone. */
function processName(pid: number): string {
  return readFileIfAny(`/proc/${pid}/comm`)
}

/** Waits until a process is in the given /proc state (R, S, Z, …). */
async function waitForState(pid: number, state: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (new RegExp(`^State:\\s+${state}`, 'm').test(readFileIfAny(`/proc/${pid}/status`))) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`process ${pid} never reached state ${state}`)
}

/** A live process that is not an engine, to own the numbers a killed engine's pid files hold. */
function stranger(t: TestContext): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' })
  t.after(() => child.kill('SIGKILL'))
  assert.ok(child.pid)
  return child.pid
}

function runScript(engine: Engine): { status: number | null; output: string } {
  const run = spawnSync('bash', [script], { env: engine.env, encoding: 'utf8', timeout: 120_000 })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

test('pid files naming a live stranger are removed, the engine starts, and the stranger lives on', async (t) => {
  if (!requireEnvironment(t, problem)) return
  const engine = ownEngine(t)
  const strangerPid = stranger(t)
  writeFileSync(engine.pidfile, `${strangerPid}`)
  mkdirSync(dirname(engine.containerdPidfile), { recursive: true })
  writeFileSync(engine.containerdPidfile, `${strangerPid}`)

  const first = runScript(engine)
  assert.equal(first.status, 0, first.output)
  assert.match(first.output, new RegExp(`removing ${engine.pidfile} \\(its process is not a running dockerd\\)`))
  assert.match(first.output, /containerd\.pid \(its process is not a running containerd\)/)
  assert.equal(String(await connect(`unix://${engine.socket}`).ping()), 'OK')
  const enginePid = Number(readFileIfAny(engine.pidfile))
  assert.equal(processName(enginePid), 'dockerd')
  assert.equal(processName(strangerPid), 'sleep')

  // Run again: the engine answers, so nothing is started or removed.
  const second = runScript(engine)
  assert.equal(second.status, 0, second.output)
  assert.match(second.output, /already answers/)
  assert.equal(Number(readFileIfAny(engine.pidfile)), enginePid)
})

test("a pid file naming a killed engine's containerd that is not reaped yet (a zombie) is removed", async (t) => {
  if (!requireEnvironment(t, problem)) return
  const engine = ownEngine(t)
  // A process named containerd that exits at once, under a parent that never reaps it: a zombie that keeps its name.
  const fake = join(engine.dir, 'containerd')
  copyFileSync('/bin/true', fake)
  const parent = spawn('sh', ['-c', `"${fake}" & echo $!; exec sleep 600`], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.after(() => parent.kill('SIGKILL'))
  const zombie = Number((await once(parent.stdout!, 'data'))[0].toString().trim())
  await waitForState(zombie, 'Z')
  assert.equal(processName(zombie), 'containerd')
  mkdirSync(dirname(engine.containerdPidfile), { recursive: true })
  writeFileSync(engine.containerdPidfile, `${zombie}`)

  const run = runScript(engine)
  assert.equal(run.status, 0, run.output)
  assert.match(run.output, /containerd\.pid \(its process is not a running containerd\)/)
  assert.equal(String(await connect(`unix://${engine.socket}`).ping()), 'OK')
})

test('an engine that exits at once is reported with its log, without waiting out the timeout', async (t) => {
  if (!requireEnvironment(t, problem)) return
  const engine = ownEngine(t)
  // A data root that is a file: dockerd gives up as it starts.
  writeFileSync(join(engine.dir, 'data'), 'not a folder')

  const run = runScript({ ...engine, env: { ...engine.env, LEDGE_DOCKERD_WAIT_SECS: '600' } })
  assert.equal(run.status, 1, run.output)
  assert.match(run.output, /dockerd \(pid \d+\) exited before answering/)
  assert.match(run.output, /data/, 'the log lines name the data root it could not use')
})
