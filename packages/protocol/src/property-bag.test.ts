// Property bags, with the exact strings seen on the wire (azure-sdk-wire.md §5).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatPropertyBag, parsePropertyBag, PropertyBagError } from './property-bag.js'
import type { SystemProperties } from './message.js'

/** The system properties the device SDK's C2D parser understands; anything else would reach the app as a property. */
const C2D_SYSTEM: (keyof SystemProperties)[] = ['messageId', 'to', 'expiryTimeUtc', 'correlationId', 'userId', 'contentType', 'contentEncoding']

describe('parsePropertyBag: what the device SDK sends', () => {
  it('telemetry with system and application properties (seen on the wire)', () => {
    const bag = parsePropertyBag(
      '%24.mid=msg-1&%24.cid=corr-1&%24.ct=application%2Fjson&%24.ce=utf-8&%24.exp=2026-11-23T20%3A29%3A29.866Z&alert=hot%20%26%20humid&%24.sub=thermo',
    )
    assert.deepEqual(bag, {
      systemProperties: {
        messageId: 'msg-1',
        correlationId: 'corr-1',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        expiryTimeUtc: '2026-11-23T20:29:29.866Z',
        componentName: 'thermo',
      },
      properties: { alert: 'hot & humid' },
    })
  })

  it('no properties', () => {
    assert.deepEqual(parsePropertyBag(''), { systemProperties: {}, properties: {} })
    assert.deepEqual(parsePropertyBag('/'), { systemProperties: {}, properties: {} })
  })

  it('a module output: $.on first and a trailing slash', () => {
    assert.deepEqual(parsePropertyBag('%24.on=output1/'), { systemProperties: { outputName: 'output1' }, properties: {} })
    assert.deepEqual(parsePropertyBag('%24.on=output1&k=v/'), { systemProperties: { outputName: 'output1' }, properties: { k: 'v' } })
  })

  it('every system key, dt-subject, unknown $ keys and a bare key', () => {
    const bag = parsePropertyBag(
      '%24.uid=u&%24.to=%2Fdevices%2Fd1&%24.ifid=urn%3Ai&%24.ctime=2026-01-01T00%3A00%3A00Z&%24.schema=s&%24.cdid=d1&%24.cmid=m1&%24.foo=1&dt-subject=comp&flag',
    )
    assert.deepEqual(bag, {
      systemProperties: {
        userId: 'u',
        to: '/devices/d1',
        interfaceId: 'urn:i',
        creationTimeUtc: '2026-01-01T00:00:00Z',
        messageSchema: 's',
        connectionDeviceId: 'd1',
        connectionModuleId: 'm1',
        componentName: 'comp',
      },
      properties: { '$.foo': '1', flag: '' },
    })
  })

  it('reads raw $ keys (not %24) too, and empty entries are skipped', () => {
    assert.deepEqual(parsePropertyBag('$.mid=1&&a=b&'), { systemProperties: { messageId: '1' }, properties: { a: 'b' } })
  })
})

describe('parsePropertyBag: errors', () => {
  const cases: [string, string][] = [
    ['a=%E0%A4%A', "property bag value of 'a' '%E0%A4%A' is not URL-encoded correctly"],
    ['%ZZ=1', "property bag key '%ZZ' is not URL-encoded correctly"],
    ['k=100%', "property bag value of 'k' '100%' is not URL-encoded correctly"],
    ['=v', "property bag entry '=v' has an empty name"],
    ['%24.exp=tomorrow', "property '$.exp' must be an ISO 8601 time, got 'tomorrow'"],
    ['%24.exp=', "property '$.exp' must be an ISO 8601 time, got ''"],
    ['%24.ctime=never', "property '$.ctime' must be an ISO 8601 time, got 'never'"],
    ['a=b/c=d', "property bag 'a=b/c=d' contains '/': properties must be the last topic segment"],
  ]
  for (const [text, message] of cases) {
    it(`${text} → ${message}`, () => {
      assert.throws(() => parsePropertyBag(text), (err: unknown) => {
        assert.ok(err instanceof PropertyBagError)
        assert.equal(err.name, 'PropertyBagError')
        assert.equal(err.message, message)
        return true
      })
    })
  }
})

describe('formatPropertyBag', () => {
  it('formats C2D exactly as seen on the wire, system keys first', () => {
    const bag = formatPropertyBag(
      { messageId: 'c2d-1', to: '/devices/d1/messages/deviceBound', contentType: 'application/json' },
      { color: 'red' },
      C2D_SYSTEM,
    )
    assert.equal(bag, '%24.mid=c2d-1&%24.to=%2Fdevices%2Fd1%2Fmessages%2FdeviceBound&%24.ct=application%2Fjson&color=red')
  })

  it('formats a module input as seen on the wire', () => {
    assert.equal(
      formatPropertyBag({ messageId: 'in-1', connectionDeviceId: 'd1', connectionModuleId: 'other' }, { k: 'v' }),
      '%24.mid=in-1&%24.cdid=d1&%24.cmid=other&k=v',
    )
  })

  it('`only` keeps the listed system properties; system properties without a wire key are left out', () => {
    const system: SystemProperties = { messageId: 'm', outputName: 'o', connectionDeviceId: 'd', enqueuedTimeUtc: '2026-01-01T00:00:00Z', inputName: 'i' }
    assert.equal(formatPropertyBag(system, {}, C2D_SYSTEM), '%24.mid=m')
    assert.equal(formatPropertyBag(system, {}), '%24.mid=m&%24.on=o&%24.cdid=d')
    assert.equal(formatPropertyBag({}, {}), '')
    assert.equal(formatPropertyBag({ messageId: undefined }, {}), '')
  })

  it('round-trips awkward names and values through parsePropertyBag', () => {
    const properties = { 'a b': 'x=y&z', 'slash/key': '50% /path?q#f', "!'()*": 'ünïcödé €', '+plus': 'a+b', empty: '' }
    const system: SystemProperties = { messageId: 'id with spaces', expiryTimeUtc: '2030-01-01T00:00:00.000Z', contentType: 'text/plain; charset=utf-8' }
    const text = formatPropertyBag(system, properties)
    assert.doesNotMatch(text, /\//, 'a formatted bag never contains a slash')
    assert.deepEqual(parsePropertyBag(text), { systemProperties: system, properties })
  })
})
