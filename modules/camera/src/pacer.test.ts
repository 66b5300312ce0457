import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nextDeadline, Pacer, type PacerClock } from './pacer.js'

test('deadlines advance by whole intervals, and restart after a stall instead of bursting', () => {
  assert.equal(nextDeadline(undefined, 1000, 200), 1000)
  assert.equal(nextDeadline(1000, 1050, 200), 1200)
  assert.equal(nextDeadline(1000, 1300, 200), 1200) // a little late: catch up once
  assert.equal(nextDeadline(1000, 2000, 200), 2000) // far behind: restart from now
})

test('the pacer sleeps until each tick and follows an fps change', async () => {
  let now = 0
  const slept: number[] = []
  const clock: PacerClock = { now: () => now, sleep: async (ms) => { slept.push(ms); now += ms } }
  const p = new Pacer(5, clock)
  const signal = new AbortController().signal
  await p.wait(signal)
  await p.wait(signal)
  now += 50 // work between ticks
  await p.wait(signal)
  p.setFps(10)
  await p.wait(signal)
  assert.deepEqual(slept, [200, 150, 100])
})
