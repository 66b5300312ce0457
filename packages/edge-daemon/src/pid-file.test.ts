/**
 * edged.pid with real processes: the daemon's own file, a file left by a killed daemon whose number now belongs to
 * another process, one naming a zombie, and one written before the start time was kept.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processStartTime } from '@ledge/runtime-process'
import { pidFilePath, removePidFile, runningDaemonPid, writePidFile } from './pid-file.js'

async function home(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-pid-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A live process standing in for a daemon, or for a stranger that got a dead daemon's number. */
function sleeper(t: TestContext): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' })
  t.after(() => child.kill('SIGKILL'))
  return child.pid!
}

test('the file holds the pid and its start time; it names a running daemon while that process lives', async (t) => {
  const dir = await home(t)
  await writePidFile(dir)
  const [pid, start] = (await readFile(pidFilePath(dir), 'utf8')).trim().split(' ')
  assert.equal(Number(pid), process.pid)
  assert.equal(start, processStartTime(process.pid))

  const other = sleeper(t)
  await writeFile(pidFilePath(dir), `${other} ${processStartTime(other)}\n`)
  assert.equal(await runningDaemonPid(dir), other)
  await assert.rejects(writePidFile(dir), new RegExp(`another edge daemon \\(pid ${other}\\) runs on `))
})

test("a dead daemon's file whose number now belongs to another process is stale: the next daemon starts", async (t) => {
  const dir = await home(t)
  const stranger = sleeper(t)
  // The daemon that wrote this started at another time than the process that has its number now.
  await writeFile(pidFilePath(dir), `${stranger} ${Number(processStartTime(stranger)) - 1}\n`)
  assert.equal(await runningDaemonPid(dir), undefined)
  await writePidFile(dir)
  assert.equal(Number((await readFile(pidFilePath(dir), 'utf8')).split(' ')[0]), process.pid)
  await removePidFile(dir)
})

test('a file naming a zombie (a killed daemon not reaped yet) is stale', async (t) => {
  const dir = await home(t)
  // The child exits at once under a parent that never waits for it.
  const parent = spawn('sh', ['-c', 'true & echo $!; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.after(() => parent.kill('SIGKILL'))
  const zombie = Number(String((await once(parent.stdout!, 'data'))[0]).trim())
  for (let i = 0; !/^State:\s+Z/m.test(await readFile(`/proc/${zombie}/status`, 'utf8')); i++) {
    assert.ok(i < 100, 'the child became a zombie')
    await new Promise((r) => setTimeout(r, 20))
  }
  // The pid alone, as an older daemon wrote it: a live process would count (the last test), a zombie must not.
  await writeFile(pidFilePath(dir), `${zombie}\n`)
  assert.equal(await runningDaemonPid(dir), undefined)
})

test('a file from before the start time was kept (the pid alone) still names a live process', async (t) => {
  const dir = await home(t)
  const other = sleeper(t)
  await writeFile(pidFilePath(dir), `${other}\n`)
  assert.equal(await runningDaemonPid(dir), other)
})
