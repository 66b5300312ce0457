/** The contract's test modules (TestBehaviour) as `node -e` programs run by the test node image. */
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
  // PID 1 in a container: without a handler the kernel would ignore SIGTERM anyway; the handler makes it explicit.
  ignoreSigterm: `process.on('SIGTERM', () => {}); process.stdout.write('ready\\n'); ${SLEEP}`,
}

/**
 * A `docker` module running `behaviour` in `image` (an image from {@link buildNodeImage}: entrypoint node), with
 * Docker's init as PID 1: the kernel ignores SIGTERM sent to a PID 1 that has no handler yet, so a node started a
 * moment ago would not stop until the grace ran out; under init it gets the default disposition like any process.
 */
export function behaviourModule(image: string, name: string, behaviour: TestBehaviour, createOptions: Record<string, unknown> = {}): ModuleConfig {
  return {
    name,
    type: 'docker',
    imagePullPolicy: 'never',
    settings: { image, createOptions: JSON.stringify({ HostConfig: { Init: true }, ...createOptions, Cmd: ['-e', PROGRAMS[behaviour.kind], JSON.stringify(behaviour)] }) },
    env: {},
  }
}

/** A `docker` module running the node program `program` (argv[1..] = args). */
export function programModule(image: string, name: string, program: string, o: { args?: string[]; createOptions?: Record<string, unknown>; env?: Record<string, string> } = {}): ModuleConfig {
  return {
    name,
    type: 'docker',
    imagePullPolicy: 'never',
    settings: { image, createOptions: JSON.stringify({ HostConfig: { Init: true }, ...o.createOptions, Cmd: ['-e', program, ...(o.args ?? [])] }) },
    env: o.env ?? {},
  }
}
