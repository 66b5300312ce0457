/** `[provisioning] source = "dps"` in config.toml: aziot's shape, every problem at once with its TOML path. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseConfig } from './load.js'
import { problemsOf } from '../../test/config-problems.js'

const KEY = Buffer.alloc(32, 9).toString('base64')
const DPS = (attestation = `method = "symmetric_key"\nregistration_id = "edge-7"\nsymmetric_key = { value = "${KEY}" }`, top = '') => `${top}
[provisioning]
source = "dps"
global_endpoint = "https://dps.example"
id_scope = "0ne00A1B2C3"

[provisioning.attestation]
${attestation}
`

test('the aziot DPS symmetric-key form parses; Dynamic is the default reprovisioning mode', () => {
  const { config, warnings } = parseConfig(DPS(), '/etc/ledge/config.toml')
  assert.deepEqual(warnings, [])
  assert.deepEqual(config.provisioning, {
    source: 'dps', endpoint: 'dps.example', idScope: '0ne00A1B2C3', registrationId: 'edge-7', deviceKey: { value: KEY }, reprovisioning: 'Dynamic',
  })
  // Without a hub yet, the upstream MQTT endpoint is decided once DPS has answered.
  assert.equal(config.ledge.upstreamGateway, undefined)
})

test('a key file, a port, a payload and the reprovisioning modes', () => {
  const text = DPS('method = "symmetric_key"\nregistration_id = "edge-7"\nsymmetric_key = { uri = "file:///etc/ledge/dps.key" }', 'auto_reprovisioning_mode = "AlwaysOnStartup"')
    .replace('https://dps.example', 'https://127.0.0.9:8443/')
    .replace('id_scope', 'payload = { uri = "payload.json" }\nid_scope')
  const p = parseConfig(text, '/etc/ledge/config.toml').config.provisioning
  assert.equal(p.source, 'dps')
  if (p.source !== 'dps') return
  assert.equal(p.endpoint, '127.0.0.9:8443')
  assert.deepEqual(p.deviceKey, { file: '/etc/ledge/dps.key' })
  assert.equal(p.payloadFile, '/etc/ledge/payload.json')
  assert.equal(p.reprovisioning, 'AlwaysOnStartup')
  const mode = (extra: string) => {
    const c = parseConfig(DPS().replace('id_scope', `${extra}\nid_scope`), 'c.toml').config.provisioning
    return c.source === 'dps' ? c.reprovisioning : undefined
  }
  // The older identityd settings, mapped as `iotedge config import` maps them.
  assert.equal(mode('always_reprovision_on_startup = true'), 'AlwaysOnStartup')
  assert.equal(mode('always_reprovision_on_startup = false'), 'OnErrorOnly')
  assert.equal(mode('dynamic_reprovisioning = true\nalways_reprovision_on_startup = true'), 'Dynamic')
})

test('every DPS problem is reported at once', () => {
  const problems = problemsOf(`
auto_reprovisioning_mode = "Sometimes"
[provisioning]
source = "dps"
global_endpoint = "http://dps.example/path"
connection_string = "HostName=h;DeviceId=d;SharedAccessKey=${KEY}"
[provisioning.attestation]
method = "symmetric_key"
symmetric_key = { value = "nope!" }
`)
  const starts = [
    'auto_reprovisioning_mode: must be "Dynamic", "AlwaysOnStartup" or "OnErrorOnly"',
    'provisioning.connection_string: is for source = "manual"',
    'provisioning.global_endpoint: "http://dps.example/path" must use https://',
    'provisioning.id_scope: missing',
    'provisioning.attestation.registration_id: missing',
    'provisioning.attestation.symmetric_key.value: is not a base64 key',
  ]
  for (const s of starts) assert.ok(problems.some((p) => p.startsWith(s)), `expected ${s}\ngot\n  ${problems.join('\n  ')}`)
  assert.equal(problems.length, starts.length, problems.join('\n'))
})

const cases: [string, string, string][] = [
  ['no attestation', '[provisioning]\nsource = "dps"\nglobal_endpoint = "https://d"\nid_scope = "0ne1"', 'provisioning.attestation: missing: add [provisioning.attestation] method = "symmetric_key"'],
  ['no global_endpoint', DPS().replace('global_endpoint = "https://dps.example"', ''), 'provisioning.global_endpoint: missing'],
  ['global_endpoint not a URL', DPS().replace('https://dps.example', 'dps.example'), 'provisioning.global_endpoint: "dps.example" is not a URL'],
  ['global_endpoint with a path', DPS().replace('https://dps.example', 'https://dps.example/x'), 'provisioning.global_endpoint: "https://dps.example/x" must be https://<host>[:port] only'],
  ['id_scope', DPS().replace('0ne00A1B2C3', '0ne 1'), 'provisioning.id_scope: must be the DPS id scope'],
  ['x509', DPS('method = "x509"\nregistration_id = "e"'), 'provisioning.attestation.method: "x509" is not supported yet; use "symmetric_key"'],
  ['tpm', DPS('method = "tpm"\nregistration_id = "e"'), 'provisioning.attestation.method: "tpm" is not supported yet'],
  ['method other', DPS('method = "pin"'), 'provisioning.attestation.method: must be "symmetric_key", "x509" or "tpm"'],
  ['method missing', DPS('registration_id = "e"'), 'provisioning.attestation.method: '],
  ['registration_id invalid', DPS(`method = "symmetric_key"\nregistration_id = "a b"\nsymmetric_key = { value = "${KEY}" }`), 'provisioning.attestation.registration_id: must be 1 to 128 characters'],
  ['registration_id in the wrong table', DPS().replace('id_scope', 'registration_id = "e"\nid_scope'), 'provisioning.registration_id: belongs in [provisioning.attestation]'],
  ['symmetric_key missing', DPS('method = "symmetric_key"\nregistration_id = "e"'), 'provisioning.attestation.symmetric_key: missing'],
  ['symmetric_key both', DPS(`method = "symmetric_key"\nregistration_id = "e"\nsymmetric_key = { value = "${KEY}", uri = "file:///k" }`), 'provisioning.attestation.symmetric_key: give exactly one of value or uri'],
  ['symmetric_key pkcs11', DPS('method = "symmetric_key"\nregistration_id = "e"\nsymmetric_key = { uri = "pkcs11:slot-id=0;object=k" }'), 'provisioning.attestation.symmetric_key.uri: PKCS#11 keys are not supported'],
  ['symmetric_key unknown key', DPS('method = "symmetric_key"\nregistration_id = "e"\nsymmetric_key = { key = "x" }'), 'provisioning.attestation.symmetric_key: Unrecognized key'],
  ['payload', DPS().replace('id_scope', 'payload = { value = "{}" }\nid_scope'), 'provisioning.payload: Unrecognized key'],
  ['old and new reprovisioning settings', DPS(undefined, 'auto_reprovisioning_mode = "Dynamic"').replace('id_scope', 'dynamic_reprovisioning = true\nid_scope'), 'provisioning.dynamic_reprovisioning: give auto_reprovisioning_mode or this older setting, not both'],
  ['always_reprovision_on_startup', DPS().replace('id_scope', 'always_reprovision_on_startup = "yes"\nid_scope'), 'provisioning.always_reprovision_on_startup: must be true or false'],
]

for (const [name, toml, expected] of cases) {
  test(`invalid DPS: ${name}`, () => {
    const problems = problemsOf(toml)
    assert.ok(problems.some((p) => p.startsWith(expected)), `expected a problem starting with\n  ${expected}\ngot\n  ${problems.join('\n  ')}`)
  })
}
