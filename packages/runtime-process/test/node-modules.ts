/** The contract's test modules as small `node -e` programs (the data goes in argv[1] as JSON). */
import type { ModuleConfig } from '@ledge/module-runtime'
import type { TestBehaviour } from '@ledge/module-runtime/testing'

const SLEEP = `setInterval(() => {}, 1 << 30);`
const ON_TERM_EXIT_0 = `process.on('SIGTERM', () => process.exit(0));`

const PROGRAMS: Record<TestBehaviour['kind'], string> = {
  sleep: `${ON_TERM_EXIT_0} ${SLEEP}`,
  exit: `const b = JSON.parse(process.argv[1]); setTimeout(() => process.exit(b.code), b.afterMs);`,
  print: `${ON_TERM_EXIT_0} const b = JSON.parse(process.argv[1]);
    const rest = () => { for (const l of b.stderr ?? []) process.stderr.write(l + '\\n'); if (b.thenSleep) { ${SLEEP} } };
    if (!b.intervalMs) { for (const l of b.lines) process.stdout.write(l + '\\n'); rest() }
    else { let i = 0; const next = () => { if (i < b.lines.length) { process.stdout.write(b.lines[i++] + '\\n'); setTimeout(next, b.intervalMs) } else rest() }; next() }`,
  printEnv: `for (const n of JSON.parse(process.argv[1]).names) process.stdout.write(n + '=' + (process.env[n] ?? '') + '\\n');`,
  tick: `${ON_TERM_EXIT_0} let i = 0; setInterval(() => process.stdout.write('tick ' + i++ + '\\n'), JSON.parse(process.argv[1]).intervalMs);`,
  ignoreSigterm: `process.on('SIGTERM', () => {}); process.stdout.write('ready\\n'); ${SLEEP}`,
}

export function nodeModule(name: string, behaviour: TestBehaviour): ModuleConfig {
  return { name, type: 'process', settings: nodeSettings(PROGRAMS[behaviour.kind], JSON.stringify(behaviour)), env: {} }
}

/** Settings that run `program` with `node -e` (the same node as the tests: no PATH lookup needed). */
export function nodeSettings(program: string, ...args: string[]): Record<string, unknown> {
  return { command: process.execPath, args: ['-e', program, ...args], stopGraceSeconds: 10 }
}
