import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeFrames, parseDockerTime, timedLines } from './log-stream.js'

function frame(stream: 1 | 2, text: string): Buffer {
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(Buffer.byteLength(text), 4)
  return Buffer.concat([header, Buffer.from(text)])
}

async function lines(chunks: Buffer[], tty = false) {
  const out = []
  for await (const l of timedLines(decodeFrames(chunks, tty), tty)) out.push([l.stream, l.time, l.text])
  return out
}

test('multiplexed frames split anywhere; partial messages joined; CRLF; times to the ms', async () => {
  const all = Buffer.concat([
    frame(1, '2024-05-01T10:00:00.123456789Z one\n'),
    frame(2, '2024-05-01T10:00:00.2Z oops\r\n'),
    frame(1, '2024-05-01T10:00:01.000000001Z part-'),
    frame(1, '2024-05-01T10:00:01.5Z two\n'),
    frame(1, '2024-05-01T10:00:02Z last, unterminated'),
  ])
  const chunks = [all.subarray(0, 3), all.subarray(3, 50), all.subarray(50)]
  assert.deepEqual(await lines(chunks), [
    ['stdout', '2024-05-01T10:00:00.123Z', 'one'],
    ['stderr', '2024-05-01T10:00:00.200Z', 'oops'],
    ['stdout', '2024-05-01T10:00:01.000Z', 'part-two'],
    ['stdout', '2024-05-01T10:00:02.000Z', 'last, unterminated'],
  ])
})

test('a TTY stream is raw stdout, cut at newlines', async () => {
  const raw = Buffer.from('2024-05-01T10:00:00.1Z a\r\n2024-05-01T10:00:00.2Z b\r\n')
  assert.deepEqual(await lines([raw.subarray(0, 10), raw.subarray(10)], true), [
    ['stdout', '2024-05-01T10:00:00.100Z', 'a'],
    ['stdout', '2024-05-01T10:00:00.200Z', 'b'],
  ])
})

test('parseDockerTime keeps nanoseconds and offsets', () => {
  assert.equal(parseDockerTime('1970-01-01T00:00:01.000000002Z'), 1_000_000_002n)
  assert.equal(parseDockerTime('1970-01-01T01:00:00+01:00'), 0n)
  assert.equal(parseDockerTime('nope'), undefined)
})
