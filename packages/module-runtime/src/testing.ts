/**
 * The contract every ModuleRuntime adapter must pass (the aedes-persistence `abstract.js` idea): one suite, run by
 * each adapter's own test in a few lines, against real processes or containers.
 *
 * ```ts
 * runModuleRuntimeContract({
 *   name: 'process',
 *   create: async () => {
 *     const stateDir = await mkdtemp(join(tmpdir(), 'ledge-rt-'))
 *     const open = () => ProcessModuleRuntime.open({ stateDir })
 *     return { runtime: await open(), reopen: open, cleanup: () => rm(stateDir, { recursive: true, force: true }) }
 *   },
 *   // Each behaviour as a small program (the process runtime: `node -e …`; a container runtime: an image).
 *   moduleConfig: (name, behaviour) => ({ name, type: 'process', settings: nodeProgram(behaviour), env: {} }),
 * })
 * ```
 *
 * The TSDoc on the port is the contract; where it leaves a choice open, the case files say what they pin:
 * - a module stopped on request is `stopped` whatever its exit code (the port's definition of `stopped`);
 * - `stop` and `restart` return once the module no longer runs; `stop` of a created module leaves it `created`;
 * - when `get` first shows a module exited, all of its output is in `logs`;
 * - `remove` of an unknown name is ERR_MODULE_NOT_FOUND, like every other call but `get`;
 * - names that are empty, contain `/` or whitespace, or are `..`, are refused (ERR_MODULE_INVALID naming `name`);
 * - `since` and `until` are inclusive; `tail` counts lines after them; `follow` with an aborted signal yields what
 *   exists and ends; a follow of a module that has not started yet waits for its first lines;
 * - after a runtime restart a module that was running is `running` (adopted) or `stopped`, and new output is appended
 *   to the old logs.
 */
import { describe } from 'node:test'
import { durabilityContract } from './testing/durability-contract.js'
import { errorsContract } from './testing/errors-contract.js'
import { runtimeCase, type ModuleRuntimeContractOptions } from './testing/harness.js'
import { lifecycleContract } from './testing/lifecycle-contract.js'
import { logsContract } from './testing/logs-contract.js'

export type { ModuleRuntimeContractOptions, ModuleRuntimeFixture, RuntimeSession, TestBehaviour } from './testing/harness.js'
export { collect, hasCode, logTexts, waitForLog, waitForStatus, waitUntil } from './testing/wait.js'

/** Registers the contract's `describe`/`it` cases; each case gets a fresh runtime from `opts.create`. */
export function runModuleRuntimeContract(opts: ModuleRuntimeContractOptions): void {
  const test = runtimeCase(opts)
  describe(`ModuleRuntime contract: ${opts.name}`, () => {
    lifecycleContract(test)
    logsContract(test)
    errorsContract(test)
    durabilityContract(test)
  })
}
