/**
 * The contract every HubStore adapter must pass (the aedes-persistence `abstract.js` idea): one suite, run by each
 * adapter's own test in a few lines.
 *
 * ```ts
 * runHubStoreContract({ name: 'sqlite', create: async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'ledge-'))
 *   const open = () => openSqliteHubStore({ file: join(dir, 'hub.db') })
 *   return { store: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }) }
 * } })
 * ```
 *
 * The TSDoc on the ports is the contract; where it leaves a choice open, the case files say what they pin.
 */
import { describe } from 'node:test'
import { c2dContract } from './testing/c2d-contract.js'
import { configurationContract } from './testing/configuration-contract.js'
import { durabilityContract } from './testing/durability-contract.js'
import { eventLogContract } from './testing/event-log-contract.js'
import { storeCase, type HubStoreContractOptions } from './testing/harness.js'
import { identityContract } from './testing/identity-contract.js'
import { pingContract } from './testing/ping-contract.js'
import { policyContract } from './testing/policy-contract.js'
import { sessionContract } from './testing/session-contract.js'

export type { HubStoreContractOptions, HubStoreFixture } from './testing/harness.js'
export { configurationRecord } from './testing/configuration-contract.js'
export { c2dInput, edgeDeviceRecords, eventInput, identityRecord, NON_UTF8, policy } from './testing/fixtures.js'

/** Registers the contract's `describe`/`it` cases; each case gets a fresh store from `opts.create`. */
export function runHubStoreContract(opts: HubStoreContractOptions): void {
  const test = storeCase(opts.create)
  describe(`HubStore contract: ${opts.name}`, () => {
    identityContract(test)
    c2dContract(test)
    eventLogContract(test)
    policyContract(test)
    sessionContract(test)
    configurationContract(test)
    durabilityContract(test)
    pingContract(test)
  })
}
