/**
 * The benches run real hubs that the Azure SDKs and Node's TLS must trust from the start of the process
 * (NODE_EXTRA_CA_CERTS is read once, at start-up): without the test CA's environment, a bench re-runs itself under it.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** True when this process re-ran itself (its exit code is set: the caller should stop), false when it has the CA. */
export function reexecWithTestCa(): boolean {
  if (process.env.LEDGE_TEST_CA_CERT && process.env.NODE_EXTRA_CA_CERTS) return false
  // The testkit's prepare step makes (or reuses) the test CA and prints the environment the tests run with.
  const prepared = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../packages/testkit/src/prepare.ts', import.meta.url))], { encoding: 'utf8' })
  if (prepared.status !== 0) throw new Error(`preparing the test CA failed: ${prepared.stderr}`)
  const env = { ...process.env, ...(JSON.parse(prepared.stdout) as Record<string, string>) }
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env })
  process.exitCode = r.status ?? 1
  return true
}
