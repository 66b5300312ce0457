/**
 * V8 settings for Ledge's control-plane processes (the edge daemon and the edge agent): they idle nearly all the
 * time, so memory matters more than peak speed. A young generation capped at 1 MB per semi-space (Node's default
 * lets it grow to 16) and V8's lite mode (no optimizing compiler, feedback allocated lazily) take about 20 MB off
 * each process's resident memory (bench/edge). The edge hub and the hub keep V8's defaults there: they move the
 * messages.
 *
 * The edge hub gets one V8 background thread instead of Node's four (`--v8-pool-size=1`): each thread that compiles
 * or marks in the background keeps malloc memory of its own (resident, never given back), and a 2-core edge device
 * has one core besides the main thread anyway. It idles 3–6 MB smaller with it and moves messages as fast
 * (bench/edge-hub). The agent, in lite mode, compiles nothing in the background: the flag changed nothing there
 * (bench/edge: 65.1 MB against 65.8).
 */
import { setFlagsFromString } from 'node:v8'

export const ONE_BACKGROUND_THREAD = '--v8-pool-size=1'

export const SMALL_FOOTPRINT_FLAGS = ['--max-semi-space-size=1', '--lite-mode'] as const

/**
 * What a running process may still switch to. Not `--lite-mode`: it makes V8 jitless, and compiling WebAssembly in a
 * jitless V8 is a fatal error (SIGTRAP), not an exception. The daemon with a `[moby_runtime]` loads dockerode, whose
 * ssh2 compiles a small wasm module as it loads: `ledge edge start` died before opening the Docker runtime.
 * The flags lite mode implies, but jitless, keep most of its saving (no optimizing or baseline compiler, smaller
 * heap) and let wasm compile (Liftoff): the daemon's private memory idles at ~25 MB with them, ~38 MB with `--no-opt`
 * alone (bench/edge).
 */
const RUNTIME_SAFE_FLAGS = ['--max-semi-space-size=1', '--no-opt', '--no-sparkplug', '--optimize-for-size'] as const

/** For a process already running (the daemon, started as `ledge edge start`): before it loads its code. */
export function useSmallFootprint(): void {
  for (const flag of RUNTIME_SAFE_FLAGS) setFlagsFromString(flag)
}
