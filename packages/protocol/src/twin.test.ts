import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mergeTwinPatch, validateTwinDocument, withoutNulls } from './twin.js'

describe('mergeTwinPatch (JSON merge patch, RFC 7386, as IoT Hub applies twin patches)', () => {
  it('null deletes, objects merge recursively, anything else replaces', () => {
    const target = { a: 1, b: { c: 2, d: { e: 3, f: 4 } }, g: [1, 2], h: 'x', gone: true }
    const patch = { a: 10, b: { d: { e: null, z: 5 }, n: { deep: { er: 1 } } }, g: [3], h: { now: 'object' }, gone: null, missing: null }
    assert.deepEqual(mergeTwinPatch(target, patch), {
      a: 10,
      b: { c: 2, d: { f: 4, z: 5 }, n: { deep: { er: 1 } } },
      g: [3],
      h: { now: 'object' },
    })
  })

  it('replaces an object with a scalar or an array, and an empty object patch keeps the target', () => {
    assert.deepEqual(mergeTwinPatch({ a: { b: 1 } }, { a: 5 }), { a: 5 })
    assert.deepEqual(mergeTwinPatch({ a: { b: 1 } }, { a: [1] }), { a: [1] })
    assert.deepEqual(mergeTwinPatch({ a: { b: 1 } }, { a: {} }), { a: { b: 1 } })
    assert.deepEqual(mergeTwinPatch({ a: 1 }, {}), { a: 1 })
  })

  it('drops nulls inside a new object', () => {
    assert.deepEqual(mergeTwinPatch({}, { a: { b: null, c: 1 } }), { a: { c: 1 } })
  })

  it('ignores $ keys ($version, $metadata) at every level', () => {
    const out = mergeTwinPatch({ a: 1 }, { $version: 7, $metadata: { x: 1 }, b: { $lastUpdated: 'now', c: 2 } })
    assert.deepEqual(out, { a: 1, b: { c: 2 } })
  })

  it('does not modify the target or the patch', () => {
    const target = { a: { b: 1 } }
    const patch = { a: { c: 2, b: null } }
    const out = mergeTwinPatch(target, patch)
    assert.deepEqual(target, { a: { b: 1 } })
    assert.deepEqual(patch, { a: { c: 2, b: null } })
    assert.notEqual(out.a, target.a)
  })

  it('keeps a property named __proto__ as data', () => {
    const out = mergeTwinPatch({}, JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>)
    assert.deepEqual(Object.keys(out), ['__proto__'])
    assert.equal(Object.getPrototypeOf(out), Object.prototype)
  })

  it('withoutNulls removes null leaves (and $ keys) from a whole document', () => {
    assert.deepEqual(withoutNulls({ a: null, b: { c: null, d: 1 }, $version: 2 }), { b: { d: 1 } })
  })
})

describe('validateTwinDocument', () => {
  it('accepts ordinary documents, $ keys and arrays without nulls', () => {
    assert.equal(validateTwinDocument({ a: 1, b: { c: 'x', d: [1, { e: 2 }] }, $version: 3, $metadata: {} }, 'reported'), undefined)
    assert.equal(validateTwinDocument({}, 'tags'), undefined)
  })

  it('names what is wrong and where', () => {
    const cases: [unknown, string][] = [
      [null, 'desired must be a JSON object'],
      [[1], 'desired must be a JSON object'],
      ['x', 'desired must be a JSON object'],
      [{ '': 1 }, "desired has an empty property name at '(root)'"],
      [{ a: { '': 1 } }, "desired has an empty property name at 'a'"],
      [{ ['k'.repeat(1025)]: 1 }, "desired has a property name longer than 1024 characters at '(root)'"],
      [{ 'a.b': 1 }, "desired property name 'a.b' may not contain '.', '$', spaces or control characters"],
      [{ a: { 'b c': 1 } }, "desired property name 'b c' may not contain '.', '$', spaces or control characters"],
      [{ 'tab\t': 1 }, "desired property name 'tab\t' may not contain '.', '$', spaces or control characters"],
      [{ 'nul\u0000': 1 }, "desired property name 'nul\u0000' may not contain '.', '$', spaces or control characters"],
      [{ 'a$b': 1 }, "desired property name 'a$b' may not contain '.', '$', spaces or control characters"],
      [{ a: { list: [1, null] } }, "desired array 'a.list' may not contain null"],
    ]
    for (const [doc, message] of cases) assert.equal(validateTwinDocument(doc, 'desired'), message)
    assert.equal(validateTwinDocument({ ['k'.repeat(1024)]: 1 }, 'desired'), undefined, '1024 characters is the limit, inclusive')
  })

  it('limits the depth (10 by default, counting the root as 1)', () => {
    const nest = (levels: number): Record<string, unknown> => (levels === 1 ? { leaf: 1 } : { n: nest(levels - 1) })
    assert.equal(validateTwinDocument(nest(10), 'reported'), undefined)
    assert.equal(validateTwinDocument(nest(11), 'reported'), "reported is nested deeper than 10 levels at 'n.n.n.n.n.n.n.n.n.n'")
    assert.equal(validateTwinDocument(nest(3), 'tags', 2), "tags is nested deeper than 2 levels at 'n.n'")
  })
})
