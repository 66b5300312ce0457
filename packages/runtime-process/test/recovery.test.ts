/**
 * A runtime that did not close: its host process is SIGKILLed while its modules run (they are in their own sessions,
 * so they survive it, as they would a daemon crash). A new runtime on the same stateDir must stop the orphans that
 * are still ours, leave alone a process that only has a recorded pid, and report all of them `failed`.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { waitForLog } from '@ledge/module-runtime/testing'
import { ProcessModuleRuntime } from '../src/index.js'
import { signalGroup } from '../src/proc.js'
import { alive, tempRuntime, waitGone } from './helpers.js'
import { nodeModule } from './node-modules.js'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const host = fileURLToPath(new URL('./fixtures/crash-host.ts', import.meta.url))

describe('reopening a stateDir', () => {
  it('after a crash: orphans still ours are stopped, gone ones are noted, unrelated pids are left alone', { timeout: 120_000 }, async (t) => {
    await using rt = await tempRuntime()
    await rt.runtime.close()
    const crashed = spawn(process.execPath, ['--import', 'tsx', host, rt.stateDir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] })
    const [line] = (await once(createInterface({ input: crashed.stdout }), 'line')) as [string]
    const pids = JSON.parse(line) as Record<'survivor' | 'victim' | 'stubborn' | 'impostor', number>
    crashed.kill('SIGKILL')
    await once(crashed, 'exit')
    // If the test fails half-way, no orphan may outlive it.
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' })
    t.after(() => {
      for (const pid of Object.values(pids)) signalGroup(pid, 'SIGKILL')
      unrelated.kill('SIGKILL')
    })

    // While "the daemon is down": one module dies, and one record's pid comes to name another process.
    process.kill(pids.victim, 'SIGKILL')
    assert.ok(await waitGone(pids.victim))
    const impostorFile = join(rt.stateDir, 'modules', 'impostor.json')
    const record = JSON.parse(await readFile(impostorFile, 'utf8'))
    await writeFile(impostorFile, JSON.stringify({ ...record, pid: unrelated.pid }))
    process.kill(pids.impostor, 'SIGKILL')
    assert.ok(alive(pids.survivor) && alive(pids.stubborn))

    const t0 = Date.now()
    const runtime = await ProcessModuleRuntime.open({ stateDir: rt.stateDir })
    try {
      assert.ok(Date.now() - t0 < 20_000, 'a SIGTERM-ignoring orphan is killed after its own grace (0.3 s), not 10 s')
      assert.ok(!alive(pids.survivor) && !alive(pids.stubborn), 'the orphans were stopped')
      assert.ok(alive(unrelated.pid!), 'a process that merely has a recorded pid is not touched')
      const states = Object.fromEntries((await runtime.list()).map((m) => [m.name, m]))
      for (const name of ['survivor', 'victim', 'stubborn', 'impostor']) {
        assert.equal(states[name]?.status, 'failed', name)
        assert.equal(states[name]?.exitCode, undefined, name)
        assert.equal(states[name]?.pid, undefined, name)
      }
      assert.match(states.survivor!.description!, /runtime restarted while the module ran/)
      assert.match(states.victim!.description!, /ended while the runtime was down/)
      assert.match(states.impostor!.description!, /ended while the runtime was down/)

      await runtime.start('survivor')
      assert.equal((await runtime.get('survivor'))?.status, 'running')
    } finally {
      await runtime.close()
    }
    // The recovery was recorded: a third runtime does not recover again.
    const third = await ProcessModuleRuntime.open({ stateDir: rt.stateDir })
    assert.equal((await third.get('survivor'))?.status, 'stopped')
    assert.equal((await third.get('victim'))?.status, 'failed')
    await third.close()
  })

  it('close() stops the running modules; a reopened runtime reports them `stopped` and can start them', async () => {
    await using rt = await tempRuntime()
    await rt.runtime.create(nodeModule('m', { kind: 'tick', intervalMs: 50 }))
    await rt.runtime.start('m')
    await waitForLog(rt.runtime, 'm', 'tick 1')
    const pid = (await rt.runtime.get('m'))!.pid!
    await rt.runtime.close()
    assert.ok(!alive(pid))
    await assert.rejects(rt.runtime.get('m'), { code: 'ERR_RUNTIME_UNAVAILABLE' })

    const runtime = await ProcessModuleRuntime.open({ stateDir: rt.stateDir })
    try {
      const state = await runtime.get('m')
      assert.equal(state?.status, 'stopped')
      assert.equal(state.exitCode, 0)
      await runtime.start('m')
      assert.equal((await runtime.get('m'))?.status, 'running')
    } finally {
      await runtime.close()
    }
  })

  it('a record from a newer Ledge is refused, leftovers of interrupted writes are cleaned', async () => {
    await using rt = await tempRuntime()
    await rt.runtime.create(nodeModule('m', { kind: 'sleep' }))
    await rt.runtime.close()
    const dir = join(rt.stateDir, 'modules')
    await writeFile(join(dir, '.m.123.0.tmp'), '{"half')
    const reopened = await ProcessModuleRuntime.open({ stateDir: rt.stateDir })
    assert.equal((await reopened.get('m'))?.status, 'created')
    await reopened.close()
    await assert.rejects(readFile(join(dir, '.m.123.0.tmp')), { code: 'ENOENT' })

    const record = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8'))
    await writeFile(join(dir, 'm.json'), JSON.stringify({ ...record, schemaVersion: 99 }))
    await assert.rejects(ProcessModuleRuntime.open({ stateDir: rt.stateDir }), { code: 'ERR_RUNTIME_STATE_TOO_NEW' })
    const lazy = new ProcessModuleRuntime({ stateDir: rt.stateDir })
    await assert.rejects(lazy.list(), { code: 'ERR_RUNTIME_UNAVAILABLE' })
  })
})
