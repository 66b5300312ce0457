/**
 * `ledge check [-o text|json] [--verbose] [--warnings-as-errors]` (as `iotedge check`): runs {@link CHECKS} and prints
 * `✓`/`⚠`/`✗`/`-` per check with a summary line, or `{checks: [{id, description, result, details}], summary}`.
 * Exits 1 when a check failed (or warned, with --warnings-as-errors).
 */
import { Option, type Command } from 'commander'
import type { CliIo } from '../../context.js'
import { CliError, EXIT_FAILURE } from '../../errors.js'
import { CHECK_GROUPS, groupOf, runChecks, type CheckReport, type CheckResultKind } from './checks.js'
import { addTargetOptions, DeviceTarget, type TargetFlags } from './target.js'

interface CheckOpts extends TargetFlags {
  output: 'text' | 'json'
  verbose?: boolean
  warningsAsErrors?: boolean
}

const MARK: Record<CheckResultKind, string> = { ok: '✓', warning: '⚠', error: '✗', skipped: '-' }

export function formatCheckReport(report: CheckReport, verbose: boolean): string {
  const out: string[] = []
  for (const group of CHECK_GROUPS) {
    const checks = report.checks.filter((c) => groupOf(c.id) === group)
    if (checks.length === 0) continue
    out.push(group, '-'.repeat(group.length))
    for (const c of checks) {
      const suffix = c.result === 'ok' ? '' : c.result === 'skipped' ? ' (skipped)' : ` - ${c.result === 'error' ? 'Error' : 'Warning'}`
      out.push(`${MARK[c.result]} ${c.description}${suffix}`)
      if (verbose || c.result !== 'ok') for (const d of c.details) out.push(`    ${d}`)
    }
    out.push('')
  }
  const s = report.summary
  out.push(`Summary: ${s.ok} ok, ${s.warning} ${s.warning === 1 ? 'warning' : 'warnings'}, ${s.error} ${s.error === 1 ? 'error' : 'errors'}, ${s.skipped} skipped${verbose || s.ok === 0 ? '' : ' (--verbose shows the details of every check)'}`)
  return out.join('\n') + '\n'
}

export function addCheckCommand(program: Command, io: CliIo): void {
  addTargetOptions(program.command('check').description('check the configuration, certificates, storage, the daemon, its modules and the hub connection (as iotedge check)'))
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .option('--verbose', 'show the details of every check, not only of those that failed')
    .option('--warnings-as-errors', 'exit 1 on warnings too')
    .action(async (_o: unknown, c: Command) => {
      const o = c.opts<CheckOpts>()
      const report = await runChecks(new DeviceTarget(io, o))
      io.stdout.write(o.output === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatCheckReport(report, o.verbose === true))
      const failed = report.summary.error + (o.warningsAsErrors ? report.summary.warning : 0)
      if (failed > 0) {
        const what = o.warningsAsErrors ? 'failed or warned' : 'failed'
        throw new CliError(`${failed} of ${report.checks.length} checks ${what}`, EXIT_FAILURE)
      }
    })
}
