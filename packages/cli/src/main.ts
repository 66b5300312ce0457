/**
 * The `ledge` process: runs the program with the real streams, environment and a Ctrl-C signal, then sets the exit
 * code. The first Ctrl-C cancels (monitor-events stops cleanly); a second one kills as usual.
 */
import { runCli } from './program.js'

const ctrlC = new AbortController()
process.once('SIGINT', () => ctrlC.abort())
// `ledge … | head`: a closed pipe is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
})

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: ctrlC.signal,
})
