/**
 * Memory figures of processes from /proc, beyond VmRSS.
 *
 * VmRSS counts every resident page a process maps, so two Node.js processes each count the whole `node` binary
 * (about 30 MB of shared text): summing their RSS over-states what they cost together. `residentUnion` counts the
 * distinct physical pages of a set of processes instead (from /proc/PID/pagemap, which shows page frame numbers to
 * root only), which is what the machine really spends on them.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import { rssBytes } from '../hub/proc.js'

const PAGE = 4096
const PRESENT = 1n << 63n
const PFN_MASK = (1n << 55n) - 1n
const CHUNK_PAGES = 65536

/** VmRSS in kB; NaN when the process is gone. */
export function rssKb(pid: number): number {
  return (rssBytes(pid) ?? NaN) / 1024
}

/** Private (unshared) resident memory: what the process alone costs. */
export function ussKb(pid: number): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN)
  return field('Private_Clean') + field('Private_Dirty')
}

/** The distinct physical pages resident in any of the processes, in kB; undefined when PFNs are hidden (not root). */
export function residentUnionKb(pids: number[]): number | undefined {
  const frames = new Set<bigint>()
  const chunk = Buffer.alloc(CHUNK_PAGES * 8)
  for (const pid of pids) {
    const fd = openSync(`/proc/${pid}/pagemap`, 'r')
    try {
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        const m = /^([0-9a-f]+)-([0-9a-f]+)/.exec(line)
        if (!m || line.endsWith('[vsyscall]')) continue
        const start = Number.parseInt(m[1]!, 16) / PAGE
        const end = Number.parseInt(m[2]!, 16) / PAGE
        // In chunks: V8 reserves gigabytes of address space it never touches.
        for (let at = start; at < end; at += CHUNK_PAGES) {
          const read = readSync(fd, chunk, 0, Math.min(CHUNK_PAGES, end - at) * 8, at * 8)
          for (let i = 0; i + 8 <= read; i += 8) {
            const entry = chunk.readBigUInt64LE(i)
            if (!(entry & PRESENT)) continue
            const pfn = entry & PFN_MASK
            if (pfn === 0n) return undefined // the kernel hides frame numbers from this user
            frames.add(pfn)
          }
        }
      }
    } finally {
      closeSync(fd)
    }
  }
  return (frames.size * PAGE) / 1024
}
