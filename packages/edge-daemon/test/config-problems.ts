/** For the config tests: what `parseConfig` refuses a config.toml for. */
import assert from 'node:assert/strict'
import { ConfigError } from '../src/errors.js'
import { parseConfig } from '../src/config/load.js'

/** The problems `parseConfig` lists for `text` (as /etc/ledge/config.toml); fails the test if it accepts it. */
export function problemsOf(text: string): string[] {
  try {
    parseConfig(text, '/etc/ledge/config.toml')
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`)
    return [...err.problems]
  }
  assert.fail('the config was accepted')
}
