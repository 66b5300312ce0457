import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTwinQuery } from '@ledge/protocol'
import { rewriteBracketedNames } from './bracketed-names.js'

test('.[[name]] becomes a quoted property name; strings and plain paths are untouched', () => {
  assert.equal(
    rewriteBracketedNames("SELECT deviceId FROM devices.modules WHERE configurations.[[prod-v2]].status = 'Applied'"),
    "SELECT deviceId FROM devices.modules WHERE configurations['prod-v2'].status = 'Applied'",
  )
  assert.equal(rewriteBracketedNames("configurations.[[it's:1]].status = 'x'"), "configurations['it''s:1'].status = 'x'")
  assert.equal(rewriteBracketedNames("tags.a = 'x.[[y]]' AND tags.b = \"it\\\".[[z]]\""), "tags.a = 'x.[[y]]' AND tags.b = \"it\\\".[[z]]\"")
  assert.equal(rewriteBracketedNames('tags.a.[[open'), 'tags.a.[[open')
})

test('the rewritten query parses into the configuration id as one path segment', () => {
  const q = parseTwinQuery(rewriteBracketedNames("SELECT * FROM devices.modules WHERE configurations.[[a-b]].status = 'Applied'"))
  assert.match(JSON.stringify(q.where), /"segments":\["configurations","a-b","status"\]/)
})
