/** `ledge hub dashboard-token`: a service token of the login's policy, and the dashboard URL carrying it in its fragment. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseSasToken, verifySasSignature } from '@ledge/protocol'
import { parseDuration } from '../src/commands/dashboard-token.js'
import { runInProcess } from './helpers.js'

const key = Buffer.from('thirty-two bytes of policy key!!').toString('base64')
const login = `HostName=hub.example.net;SharedAccessKeyName=iothubowner;SharedAccessKey=${key}`

test('prints a token valid for --duration and a URL whose fragment holds it', async () => {
  const r = await runInProcess(['hub', 'dashboard-token', '--login', login, '--hub-url', 'https://127.0.0.7:8443', '--duration', '2h', '-o', 'json'])
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { url: string; token: string; policyName: string }
  const token = parseSasToken(out.token)
  assert.equal(token.sr, 'hub.example.net')
  assert.equal(token.skn, 'iothubowner')
  assert.ok(verifySasSignature(token, key))
  assert.ok(Math.abs(token.se - (Date.now() / 1000 + 7200)) < 5)
  const url = new URL(out.url)
  assert.equal(url.origin + url.pathname, 'https://127.0.0.7:8443/dashboard/')
  assert.equal(decodeURIComponent(url.hash.slice('#token='.length)), out.token)
})

test('durations: seconds or s/m/h/d, from a minute to a year; anything else is a usage error', async () => {
  assert.equal(parseDuration('3600'), 3600)
  assert.equal(parseDuration('90m'), 5400)
  assert.equal(parseDuration('7d'), 604800)
  for (const bad of ['10', '5x', '-1h', '400d', '']) assert.throws(() => parseDuration(bad), /--duration/)
  const r = await runInProcess(['hub', 'dashboard-token', '--login', login, '--duration', 'soon'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /^error: --duration must be/)
})
