import assert from 'node:assert/strict'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { collect, waitForStatus } from '@ledge/module-runtime/testing'
import { LineSplitter, MAX_LINE_CHARS } from '../src/log-file.js'
import { tempRuntime } from './helpers.js'
import { nodeSettings } from './node-modules.js'

const printN = (n: number, streams: string[] = ['stdout']) =>
  nodeSettings(`for (let i = 0; i < ${n}; i++) for (const s of ${JSON.stringify(streams)}) process[s].write('line ' + String(i).padStart(5, '0') + '\\n')`)

describe('module logs on disk', () => {
  it('rotation keeps the newest lines, in at most `files` files of at most `maxBytes`', async () => {
    await using rt = await tempRuntime({ logRotation: { maxBytes: 2000, files: 3 } })
    await rt.runtime.create({ name: 'm', type: 'process', settings: printN(500), env: {} })
    await rt.runtime.start('m')
    await waitForStatus(rt.runtime, 'm', 'stopped')

    const dir = join(rt.stateDir, 'logs', 'm')
    const files = (await readdir(dir)).sort()
    assert.deepEqual(files, ['current.log', 'current.log.1', 'current.log.2'])
    for (const f of files) assert.ok((await stat(join(dir, f))).size <= 2000, f)

    const texts = (await collect(rt.runtime.logs('m'))).map((l) => l.text)
    assert.equal(texts.at(-1), 'line 00499')
    const first = Number(texts[0]!.slice(5))
    assert.ok(first > 0, 'the oldest lines were dropped')
    assert.deepEqual(texts, Array.from({ length: 500 - first }, (_, i) => `line ${String(first + i).padStart(5, '0')}`))
    assert.deepEqual((await collect(rt.runtime.logs('m', { tail: 3 }))).map((l) => l.text), ['line 00497', 'line 00498', 'line 00499'])
  })

  it('a module that writes 10,000 lines fast on each stream loses none', async () => {
    await using rt = await tempRuntime()
    await rt.runtime.create({ name: 'm', type: 'process', settings: printN(10_000, ['stdout', 'stderr']), env: {} })
    await rt.runtime.start('m')
    await waitForStatus(rt.runtime, 'm', 'stopped')
    const lines = await collect(rt.runtime.logs('m'))
    const expected = Array.from({ length: 10_000 }, (_, i) => `line ${String(i).padStart(5, '0')}`)
    assert.deepEqual(lines.filter((l) => l.stream === 'stdout').map((l) => l.text), expected)
    assert.deepEqual(lines.filter((l) => l.stream === 'stderr').map((l) => l.text), expected)
  })

  it('a follower that starts before the module reads every line across many rotations', async () => {
    await using rt = await tempRuntime({ logRotation: { maxBytes: 16 * 1024, files: 100 } })
    await rt.runtime.create({ name: 'm', type: 'process', settings: printN(10_000), env: {} })
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), 30_000)
    const following = (async () => {
      const got: string[] = []
      for await (const l of rt.runtime.logs('m', { follow: true, signal: ac.signal })) {
        got.push(l.text)
        if (l.text === 'line 09999') ac.abort()
      }
      return got
    })()
    await rt.runtime.start('m')
    const got = await following
    clearTimeout(timer)
    assert.ok((await readdir(join(rt.stateDir, 'logs', 'm'))).length > 20, 'the log rotated many times')
    assert.deepEqual(got, Array.from({ length: 10_000 }, (_, i) => `line ${String(i).padStart(5, '0')}`))
  })

  it('a follower that stops reading for a while misses nothing still on disk', async () => {
    await using rt = await tempRuntime({ logRotation: { maxBytes: 4096, files: 1000 } })
    await rt.runtime.create({ name: 'm', type: 'process', settings: printN(3000), env: {} })
    const ac = new AbortController()
    const it = rt.runtime.logs('m', { follow: true, signal: ac.signal })[Symbol.asyncIterator]()
    await rt.runtime.start('m')
    const first = await it.next()
    assert.equal(first.value?.text, 'line 00000')
    await waitForStatus(rt.runtime, 'm', 'stopped')
    const got = [first.value!.text]
    while (got.at(-1) !== 'line 02999') got.push((await it.next()).value!.text)
    ac.abort()
    assert.equal((await it.next()).done, true)
    assert.equal(got.length, 3000)
  })

  it('the output of a module is kept across its restarts, and an unterminated last line is kept', async () => {
    await using rt = await tempRuntime()
    await rt.runtime.create({ name: 'm', type: 'process', settings: nodeSettings(`process.stdout.write('a\\r\\nb')`), env: {} })
    await rt.runtime.start('m')
    await waitForStatus(rt.runtime, 'm', 'stopped')
    await rt.runtime.start('m')
    await waitForStatus(rt.runtime, 'm', 'stopped')
    assert.deepEqual((await collect(rt.runtime.logs('m'))).map((l) => l.text), ['a', 'b', 'a', 'b'])
  })
})

describe('LineSplitter', () => {
  it('splits on \\n, drops \\r before it, and keeps multi-byte characters cut between chunks', () => {
    const s = new LineSplitter()
    const euro = Buffer.from('€')
    assert.deepEqual(s.push(Buffer.concat([Buffer.from('one\r\ntw'), euro.subarray(0, 1)])), ['one'])
    assert.deepEqual(s.push(Buffer.concat([euro.subarray(1), Buffer.from('o\n\nthree')])), ['tw€o', ''])
    assert.deepEqual(s.end(), ['three'])
    assert.deepEqual(s.end(), [])
  })

  it('cuts lines longer than MAX_LINE_CHARS', () => {
    const s = new LineSplitter()
    const long = 'x'.repeat(MAX_LINE_CHARS * 2 + 10)
    const first = s.push(Buffer.from(long.slice(0, MAX_LINE_CHARS + 5)))
    assert.deepEqual(first.map((l) => l.length), [MAX_LINE_CHARS])
    assert.deepEqual(s.push(Buffer.from(`${long.slice(MAX_LINE_CHARS + 5)}\n`)).map((l) => l.length), [MAX_LINE_CHARS, 10])
  })
})
