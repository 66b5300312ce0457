/**
 * IoT Hub's limits, enforced with a clear error to the sender and nothing lost: 32 KB twin sections (service and
 * device side), 128 KB method payloads, method timeouts, and an unanswered method.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestHub } from '@ledge/testkit'
import { createDevice, openDevice, registryOf, rest, serviceClientOf } from './helpers.js'

test('a desired patch over 32 KB is refused with MessageTooLarge and the twin is unchanged', async () => {
  await using th = await startTestHub()
  await createDevice(th, 'big-twin')
  const before = await rest(th, 'GET', '/twins/big-twin')
  const res = await rest(th, 'PATCH', '/twins/big-twin', { properties: { desired: { blob: 'x'.repeat(33 * 1024) } } }, { 'if-match': '*' })
  assert.equal(res.status, 413)
  assert.match((res.body as { Message: string }).Message, /^ErrorCode:MessageTooLarge;properties\.desired is \d+ bytes, more than the limit of 32768 bytes/)
  const after = await rest(th, 'GET', '/twins/big-twin')
  assert.equal((after.body as { etag: string }).etag, (before.body as { etag: string }).etag)
})

test('a reported patch over 32 KB fails in the device SDK with the reason, and the connection stays usable', async () => {
  await using th = await startTestHub()
  const key = await createDevice(th, 'big-reported')
  const client = await openDevice(th, 'big-reported', key)
  try {
    const twin = await client.getTwin()
    const err = await new Promise<Error | undefined>((resolve) => twin.properties.reported.update({ blob: 'y'.repeat(33 * 1024) }, (e?: Error) => resolve(e)))
    assert.ok(err, 'the update must fail')
    assert.match(err.message, /properties\.reported is \d+ bytes, more than the limit of 32768 bytes/)
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ small: true }, (e?: Error) => (e ? reject(e) : resolve())))
    assert.equal((await registryOf(th).getTwin('big-reported')).responseBody.properties.reported.small, true)
  } finally {
    await client.close()
  }
})

test('method payloads over 128 KB and out-of-range timeouts are refused; an unanswered method times out with 504', async () => {
  await using th = await startTestHub()
  const key = await createDevice(th, 'slow')
  const client = await openDevice(th, 'slow', key)
  try {
    client.onDeviceMethod('never', () => undefined) // subscribes, never answers
    await new Promise((r) => setTimeout(r, 300))
    const big = await rest(th, 'POST', '/twins/slow/methods', { methodName: 'never', payload: 'z'.repeat(129 * 1024), responseTimeoutInSeconds: 5 })
    assert.equal(big.status, 413)
    assert.match((big.body as { Message: string }).Message, /method payload is \d+ bytes, more than the limit of 131072 bytes/)
    const badTimeout = await rest(th, 'POST', '/twins/slow/methods', { methodName: 'never', responseTimeoutInSeconds: 1000 })
    assert.equal(badTimeout.status, 400)
    assert.match((badTimeout.body as { Message: string }).Message, /responseTimeoutInSeconds must be an integer from 5 to 300/)
    const started = Date.now()
    await assert.rejects(serviceClientOf(th).invokeDeviceMethod('slow', { methodName: 'never', payload: null, responseTimeoutInSeconds: 5 }),
      (err: Error) => err.constructor.name === 'GatewayTimeoutError' && /did not answer the direct method within 5 s/.test(err.message))
    assert.ok(Date.now() - started >= 4900)
  } finally {
    await client.close()
  }
})

test('a method to an offline device waits connectTimeoutInSeconds for it, then answers', async () => {
  await using th = await startTestHub()
  const key = await createDevice(th, 'late')
  const call = rest(th, 'POST', '/twins/late/methods', { methodName: 'hello', payload: 1, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 10 })
  await new Promise((r) => setTimeout(r, 500))
  const client = await openDevice(th, 'late', key)
  try {
    client.onDeviceMethod('hello', (req, res) => void res.send(201, { got: req.payload }))
    const res = await call
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { status: 201, payload: { got: 1 } })
  } finally {
    await client.close()
  }
})
