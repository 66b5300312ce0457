/**
 * `node --import tsx bench/dps/run.ts [--n 200] [--concurrency 10] [--retry-after 1]`: provisioning rate.
 *
 * A real hub (the testkit's, on its own loopback address, port 443) with one symmetric-key enrollment group; N
 * devices register through it with the unmodified `azure-iot-provisioning-device` + `-http` clients, `concurrency`
 * at a time. Each registration is a PUT (authenticate, create the device, apply the initial twin) and one poll after
 * the hub's `retry-after`. Prints registrations/s and the latency percentiles. The Node process trusts the test CA
 * through NODE_EXTRA_CA_CERTS (read only at start-up): the script runs itself again with it set when needed.
 */
import { createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { reexecWithTestCa } from '../test-ca.js'
import { rest, startTestHub } from '@ledge/testkit'

const require = createRequire(import.meta.url)


function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '10' }, 'retry-after': { type: 'string', default: '1' } } })
  const n = Number(values.n)
  const concurrency = Number(values.concurrency)
  const retryAfter = Number(values['retry-after'])
  const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device') as typeof import('azure-iot-provisioning-device')
  const { Http } = require('azure-iot-provisioning-device-http') as typeof import('azure-iot-provisioning-device-http')
  const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key') as typeof import('azure-iot-security-symmetric-key')

  await using th = await startTestHub({ dpsRetryAfterSeconds: retryAfter })
  const idScope = ((await rest(th, 'GET', '/provisioning')).body as { idScope: string }).idScope
  const groupKey = Buffer.alloc(64, 5).toString('base64')
  const created = await rest(th, 'PUT', '/enrollmentGroups/bench', { attestation: { type: 'symmetricKey', symmetricKey: { primaryKey: groupKey } }, initialTwin: { tags: { bench: true } } })
  if (created.status !== 200) throw new Error(`enrollment group: HTTP ${created.status} ${JSON.stringify(created.body)}`)

  const latencies: number[] = []
  let next = 0
  let failures = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      const regId = `bench-${String(next++).padStart(5, '0')}`
      const key = createHmac('sha256', Buffer.from(groupKey, 'base64')).update(regId).digest('base64')
      const client = ProvisioningDeviceClient.create(th.host, idScope, new Http(), new SymmetricKeySecurityClient(regId, key) as never)
      const t0 = performance.now()
      try {
        await client.register()
        latencies.push(performance.now() - t0)
      } catch (err) {
        failures++
        process.stderr.write(`${regId}: ${(err as Error).message}\n`)
      }
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  const rate = latencies.length / seconds
  process.stdout.write(
    `DPS over HTTPS: ${latencies.length}/${n} registrations (${failures} failed), concurrency ${concurrency}, retry-after ${retryAfter} s\n` +
      `  ${rate.toFixed(1)} registrations/s; latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms (${seconds.toFixed(1)} s total)\n`,
  )
}

if (!reexecWithTestCa()) await main()
