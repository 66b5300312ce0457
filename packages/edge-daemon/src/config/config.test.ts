import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../errors.js'
import { loadConfigFile, parseConfig } from './load.js'
import { problemsOf } from '../../test/config-problems.js'
import { renderManualProvisioningConfig } from './render.js'

const KEY = Buffer.alloc(32, 7).toString('base64')
const CS = `HostName=hub.example;DeviceId=edge1;SharedAccessKey=${KEY}`
const MANUAL = `[provisioning]\nsource = "manual"\nconnection_string = "${CS}"\n`

test('a minimal manual config gets the defaults', () => {
  const { config, warnings } = parseConfig(`hostname = "Edge-1"\n${MANUAL}`, '/etc/ledge/config.toml')
  assert.deepEqual(warnings, [])
  assert.equal(config.hostname, 'edge-1')
  assert.deepEqual(config.provisioning, { source: 'manual', iothubHostname: 'hub.example', deviceId: 'edge1', deviceKey: { value: KEY } })
  assert.equal(config.agent.name, 'edgeAgent')
  assert.equal(config.agent.type, 'process')
  assert.equal(config.agent.settings.command, process.execPath)
  assert.equal(config.edgeCa.expiryDays, 90)
  assert.deepEqual(config.edgeCa.autoRenew, { rotateKey: true, thresholdPercent: 80, retryPercent: 4 })
  assert.equal(config.ledge.homeDir, '/var/lib/ledge/edge')
  assert.equal(config.ledge.workloadSocketDir, '/var/lib/ledge/edge/mnt')
  assert.equal(config.ledge.managementSocket, '/var/lib/ledge/edge/mgmt.sock')
  assert.equal(config.ledge.agentManagementSocket, '/var/lib/ledge/edge/private/mgmt-agent.sock')
  assert.equal(config.ledge.hubHttpsPort, 443)
  assert.equal(config.ledge.upstreamGateway, undefined)
  assert.equal(config.ledge.watchdogIntervalMs, 60_000)
  assert.deepEqual(config.moby, { uri: 'unix:///var/run/docker.sock', network: 'azure-iot-edge', runtimeId: 'default', enabled: false })
})

test('host name, device id and key; file URIs and relative paths; ledge settings', () => {
  const { config } = parseConfig(`
hostname = "edge"
trust_bundle_cert = "file:///etc/ledge/bundle.pem"
[provisioning]
source = "manual"
iothub_hostname = "hub.example"
device_id = "edge1"
[provisioning.authentication]
method = "sas"
device_id_pk = { uri = "keys/device.key" }
[agent]
name = "edgeAgent"
type = "process"
[agent.config]
command = "/usr/bin/node"
args = ["agent.js"]
[agent.env]
RuntimeLogLevel = "debug"
Retries = 3
[edge_ca]
cert = "ca.pem"
pk = "file:///etc/ledge/ca.key.pem"
[ledge]
home_dir = "/tmp/edge"
hub_ca_cert = "hub-ca.pem"
mqtt_port = 18883
watchdog_interval_secs = 5
`, '/etc/ledge/config.toml')
  assert.deepEqual(config.provisioning.deviceKey, { file: '/etc/ledge/keys/device.key' })
  assert.equal(config.trustBundleCertFile, '/etc/ledge/bundle.pem')
  assert.deepEqual(config.agent.settings, { command: '/usr/bin/node', args: ['agent.js'] })
  assert.deepEqual(config.agent.env, { RuntimeLogLevel: 'debug', Retries: '3' })
  assert.equal(config.edgeCa.certFile, '/etc/ledge/ca.pem')
  assert.equal(config.edgeCa.keyFile, '/etc/ledge/ca.key.pem')
  assert.equal(config.ledge.hubCaCertFile, '/etc/ledge/hub-ca.pem')
  assert.equal(config.ledge.upstreamGateway, 'hub.example:18883')
  assert.equal(config.ledge.modulesDir, '/tmp/edge/modules')
  assert.equal(config.ledge.watchdogIntervalMs, 5000)
})

test('the upstream gateway: parent, then ledge.gateway_hostname, then the connection string GatewayHostName', () => {
  const withGw = (extra: string, cs = CS): string | undefined =>
    parseConfig(`${extra}\n[provisioning]\nsource = "manual"\nconnection_string = "${cs}"\n`, 'c.toml').config.ledge.upstreamGateway
  assert.equal(withGw('parent_hostname = "parent"'), 'parent')
  assert.equal(withGw('[ledge]\ngateway_hostname = "gw:1234"'), 'gw:1234')
  assert.equal(withGw('', `${CS};GatewayHostName=localhost:8884`), 'localhost:8884')
})

test('[moby_runtime] turns the Docker runtime on; a docker agent takes its settings as they are', () => {
  const withTable = parseConfig(`${MANUAL}[moby_runtime]\nuri = "unix:///run/docker.sock"\nnetwork = "edge-net"\n`, '/etc/ledge/config.toml').config
  assert.deepEqual(withTable.moby, { uri: 'unix:///run/docker.sock', network: 'edge-net', runtimeId: 'default', enabled: true })
  const shared = parseConfig(`${MANUAL}[moby_runtime]\nruntime_id = "edge-2"\n`, '/etc/ledge/config.toml').config
  assert.equal(shared.moby.runtimeId, 'edge-2', 'a second daemon on the same engine keeps to its own containers')
  assert.throws(() => parseConfig(`${MANUAL}[moby_runtime]\nruntime_id = "a b"\n`, '/etc/ledge/config.toml'), /moby_runtime\.runtime_id: letters, digits/)
  const docker = parseConfig(`${MANUAL}[agent]\ntype = "docker"\n[agent.config]\nimage = "ledge/agent:1"\ncreateOptions = { HostConfig = { Init = true } }\n`, '/etc/ledge/config.toml').config
  assert.equal(docker.moby.enabled, true)
  assert.deepEqual(JSON.parse(JSON.stringify(docker.agent.settings)), { image: 'ledge/agent:1', createOptions: { HostConfig: { Init: true } } })
})

test('unknown top-level keys are warnings; Azure keys Ledge ignores are not', () => {
  const { warnings } = parseConfig(`auto_reprovisioning_mode = "Dynamic"\nfrobnicate = 1\n${MANUAL}`, 'c.toml')
  assert.deepEqual(warnings, ['frobnicate: unknown key, ignored'])
})

test('every problem is reported at once, each with its TOML path', () => {
  const problems = problemsOf(`
hostname = "not a host"
[provisioning]
source = "manual"
[edge_ca]
auto_generated_edge_ca_expiry_days = 0
[ledge]
mqtt_port = 99999
`)
  assert.equal(problems.length, 4, problems.join('\n'))
  assert.ok(problems.some((p) => p.startsWith('hostname: ')))
  assert.ok(problems.some((p) => p.startsWith('provisioning: source = "manual" needs')))
  assert.ok(problems.some((p) => p.startsWith('edge_ca.auto_generated_edge_ca_expiry_days: ')))
  assert.ok(problems.some((p) => p.startsWith('ledge.mqtt_port: ')))
})

/** One case per validation error: the TOML and the start of the problem it must produce. */
const cases: [string, string, string][] = [
  ['not TOML', 'hostname = ', '(file): not valid TOML at line 1'],
  ['hostname', `hostname = "a_b"\n${MANUAL}`, 'hostname: must be a DNS name'],
  ['parent_hostname', `parent_hostname = "x y"\n${MANUAL}`, 'parent_hostname: must be a host name'],
  ['no provisioning', 'hostname = "e"', 'provisioning: missing'],
  ['provisioning.source', '[provisioning]\nsource = "tpm"', 'provisioning.source: must be "manual" or "dps"'],
  ['neither string nor parts', '[provisioning]\nsource = "manual"', 'provisioning: source = "manual" needs connection_string'],
  ['both string and parts', `${MANUAL}iothub_hostname = "h"`, 'provisioning.connection_string: give connection_string, or'],
  ['connection string without HostName', `[provisioning]\nsource = "manual"\nconnection_string = "DeviceId=d;SharedAccessKey=${KEY}"`, 'provisioning.connection_string: device connection string has no HostName'],
  ['connection string without key', '[provisioning]\nsource = "manual"\nconnection_string = "HostName=h;DeviceId=d;x509=true"', 'provisioning.connection_string: has no SharedAccessKey'],
  ['module connection string', `[provisioning]\nsource = "manual"\nconnection_string = "${CS};ModuleId=m"`, 'provisioning.connection_string: is a module connection string'],
  ['empty connection string', '[provisioning]\nsource = "manual"\nconnection_string = ""', 'provisioning.connection_string: must not be empty'],
  ['iothub_hostname', '[provisioning]\nsource = "manual"\niothub_hostname = "bad host"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = { value = "' + KEY + '" }', 'provisioning.iothub_hostname: must be a DNS name'],
  ['device_id', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "a/b"\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = { value = "' + KEY + '" }', 'provisioning.device_id: is not a valid device id'],
  ['iothub_hostname missing', '[provisioning]\nsource = "manual"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = { value = "' + KEY + '" }', 'provisioning.iothub_hostname: missing'],
  ['device_id missing', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = { value = "' + KEY + '" }', 'provisioning.device_id: missing'],
  ['authentication missing', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "d"', 'provisioning.authentication: missing'],
  ['authentication.method', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "pin"', 'provisioning.authentication.method: must be "sas" or "x509"'],
  ['x509', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "x509"', 'provisioning.authentication.method: "x509" is not supported yet'],
  ['device_id_pk missing', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "sas"', 'provisioning.authentication.device_id_pk: missing'],
  ['device_id_pk both', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = { value = "' + KEY + '", uri = "file:///k" }', 'provisioning.authentication.device_id_pk: give exactly one of value or uri'],
  ['device_id_pk neither', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = {}', 'provisioning.authentication.device_id_pk: give exactly one of value or uri'],
  ['device_id_pk unknown key', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = { key = "x" }', 'provisioning.authentication.device_id_pk: Unrecognized key'],
  ['device_id_pk value not base64', '[provisioning]\nsource = "manual"\niothub_hostname = "h"\ndevice_id = "d"\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = { value = "not a key!" }', 'provisioning.authentication.device_id_pk.value: is not a base64 key'],
  ['agent.name', `${MANUAL}[agent]\nname = "$edgeAgent"`, 'agent.name: must be a module name'],
  ['agent unknown key', `${MANUAL}[agent]\nimage = "x"`, 'agent: Unrecognized key'],
  ['agent.type docker without image', `${MANUAL}[agent]\ntype = "docker"`, 'agent.config.image: missing'],
  ['agent.config.createOptions', `${MANUAL}[agent]\ntype = "docker"\n[agent.config]\nimage = "a:1"\ncreateOptions = 5`, 'agent.config.createOptions: must be a table or a string'],
  ['agent.type other', `${MANUAL}[agent]\ntype = "k8s"`, 'agent.type: "k8s" is not a module type'],
  ['agent.imagePullPolicy', `${MANUAL}[agent]\nimagePullPolicy = "always"`, 'agent.imagePullPolicy: '],
  ['agent.config.command', `${MANUAL}[agent.config]\ncommand = ""`, 'agent.config.command: must be a non-empty string'],
  ['agent.config.args', `${MANUAL}[agent.config]\ncommand = "node"\nargs = [1]`, 'agent.config.args: must be an array of strings'],
  ['agent.config.args without command', `${MANUAL}[agent.config]\nargs = ["x"]`, 'agent.config.args: give agent.config.command too'],
  ['agent.config.workingDir', `${MANUAL}[agent.config]\ncommand = "node"\nworkingDir = 3`, 'agent.config.workingDir: must be a string'],
  ['agent.config.stopGraceSeconds', `${MANUAL}[agent.config]\ncommand = "node"\nstopGraceSeconds = -1`, 'agent.config.stopGraceSeconds: must be a number'],
  ['agent.env', `${MANUAL}[agent.env]\nA = [1]`, 'agent.env.A: must be a string, number or boolean'],
  ['edge_ca cert without pk', `${MANUAL}[edge_ca]\ncert = "ca.pem"`, 'edge_ca.pk: give both edge_ca.cert and edge_ca.pk'],
  ['edge_ca pk without cert', `${MANUAL}[edge_ca]\npk = "ca.key"`, 'edge_ca.cert: give both edge_ca.cert and edge_ca.pk'],
  ['edge_ca.method', `${MANUAL}[edge_ca]\nmethod = "est"`, 'edge_ca.method: "est" (EST / local CA issuance) is not supported yet'],
  ['expiry days too long', `${MANUAL}[edge_ca]\nauto_generated_edge_ca_expiry_days = 4000`, 'edge_ca.auto_generated_edge_ca_expiry_days: must be at most 3650'],
  ['expiry days fraction', `${MANUAL}[edge_ca]\nauto_generated_edge_ca_expiry_days = 1.5`, 'edge_ca.auto_generated_edge_ca_expiry_days: must be a whole number'],
  ['auto_renew.threshold', `${MANUAL}[edge_ca.auto_renew]\nthreshold = "80"`, 'edge_ca.auto_renew.threshold: must be a percentage'],
  ['auto_renew.retry', `${MANUAL}[edge_ca.auto_renew]\nretry = "101%"`, 'edge_ca.auto_renew.retry: must be a percentage'],
  ['auto_renew.rotate_key', `${MANUAL}[edge_ca.auto_renew]\nrotate_key = "yes"`, 'edge_ca.auto_renew.rotate_key: '],
  ['auto_renew unknown key', `${MANUAL}[edge_ca.auto_renew]\nwhen = 1`, 'edge_ca.auto_renew: Unrecognized key'],
  ['ledge unknown key', `${MANUAL}[ledge]\nhomedir = "/x"`, 'ledge: Unrecognized key'],
  ['ledge.home_dir', `${MANUAL}[ledge]\nhome_dir = ""`, 'ledge.home_dir: must not be empty'],
  ['ledge.hub_https_port', `${MANUAL}[ledge]\nhub_https_port = 0`, 'ledge.hub_https_port: must be 1 to 65535'],
  ['ledge.mqtt_port', `${MANUAL}[ledge]\nmqtt_port = "8883"`, 'ledge.mqtt_port: '],
  ['ledge.gateway_hostname', `${MANUAL}[ledge]\ngateway_hostname = "a b"`, 'ledge.gateway_hostname: must be a host name'],
  ['gateway port twice', `${MANUAL}[ledge]\ngateway_hostname = "gw:1"\nmqtt_port = 2`, 'ledge.mqtt_port: give the port in ledge.gateway_hostname or in ledge.mqtt_port, not both'],
  ['ledge.module_gateway', `${MANUAL}[ledge]\nmodule_gateway = "cloud"`, 'ledge.module_gateway: must be "upstream" or "edge_hub"'],
  ['ledge.workload_tcp_port', `${MANUAL}[ledge]\nworkload_tcp_port = 70000`, 'ledge.workload_tcp_port: must be 1 to 65535'],
  ['ledge.watchdog_interval_secs', `${MANUAL}[ledge]\nwatchdog_interval_secs = 0`, 'ledge.watchdog_interval_secs: must be at least 1'],
  ['ledge.log_level', `${MANUAL}[ledge]\nlog_level = "loud"`, 'ledge.log_level: '],
]

for (const [name, toml, expected] of cases) {
  test(`invalid: ${name}`, () => {
    const problems = problemsOf(toml)
    assert.ok(problems.some((p) => p.startsWith(expected)), `expected a problem starting with\n  ${expected}\ngot\n  ${problems.join('\n  ')}`)
  })
}

test('a missing file is a ConfigError that says how to write one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledge-cfg-'))
  assert.throws(() => loadConfigFile(join(dir, 'nope.toml')), (err: unknown) =>
    err instanceof ConfigError && err.problems[0]!.includes('ledge edge config mp'))
  writeFileSync(join(dir, 'ok.toml'), MANUAL)
  const ok = loadConfigFile(join(dir, 'ok.toml')).config.provisioning
  assert.equal(ok.source === 'manual' && ok.deviceId, 'edge1')
})

test('config mp renders a valid file with the Ledge settings given', () => {
  const text = renderManualProvisioningConfig({ connectionString: CS, hostname: 'edge', homeDir: '/tmp/e', hubCaCert: '/tmp/ca.pem', mqttPort: 18883 })
  const { config } = parseConfig(text, '/x/config.toml')
  assert.equal(config.provisioning.source === 'manual' && config.provisioning.iothubHostname, 'hub.example')
  assert.equal(config.ledge.homeDir, '/tmp/e')
  assert.equal(config.ledge.hubCaCertFile, '/tmp/ca.pem')
  assert.equal(config.ledge.upstreamGateway, 'hub.example:18883')
  assert.throws(() => renderManualProvisioningConfig({ connectionString: 'HostName=h' }), ConfigError)
})
