import { test } from 'node:test'
import assert from 'node:assert/strict'
import { redactUrl } from './redact-url.js'

test('redactUrl hides the password and keeps the rest', () => {
  assert.equal(redactUrl('postgres://hub:s3cret@db.example:5432/ledge?sslmode=require'), 'postgres://hub:***@db.example:5432/ledge?sslmode=require')
  assert.equal(redactUrl('postgres://hub@127.0.0.1/ledge'), 'postgres://hub@127.0.0.1/ledge')
  assert.equal(redactUrl('not a url :// s3cret'), '(a URL that does not parse)')
})
