/** `GET /systeminfo` and `GET /systeminfo/resources`: what this machine is and how busy it is. */
import { readFile, statfs } from 'node:fs/promises'
import { arch, cpus, freemem, loadavg, release, totalmem, type as osType, uptime } from 'node:os'
import type { SystemInfo } from '@ledge/protocol'

export const DAEMON_VERSION = '0.1.0'

async function osRelease(): Promise<{ name?: string; version?: string }> {
  try {
    const text = await readFile('/etc/os-release', 'utf8')
    const get = (k: string): string | undefined => /^(\w+)="?(.*?)"?$/m.exec(text.split('\n').find((l) => l.startsWith(`${k}=`)) ?? '')?.[2]
    return { ...(get('ID') ? { name: get('ID')! } : {}), ...(get('VERSION_ID') ? { version: get('VERSION_ID')! } : {}) }
  } catch {
    return {}
  }
}

export async function systemInfo(): Promise<SystemInfo> {
  const os = await osRelease()
  return {
    osType: osType().toLowerCase(),
    architecture: arch(),
    version: DAEMON_VERSION,
    provisioning: { type: 'manual', dynamicReprovisioning: false },
    server_version: `node ${process.versions.node}`,
    kernel_version: release(),
    ...(os.name ? { operating_system: os.name } : {}),
    ...(os.version ? { operating_system_version: os.version } : {}),
    cpus: cpus().length,
    total_memory: totalmem(),
    virtualized: 'unknown',
  }
}

export interface SystemResources {
  host_uptime: number
  process_uptime: number
  used_cpu: number
  used_ram: number
  total_ram: number
  disks: { name: string; available_space: number; total_space: number; file_system: string; file_type: string }[]
  docker_stats: string
}

export async function systemResources(homeDir: string): Promise<SystemResources> {
  const disks: SystemResources['disks'] = []
  try {
    const s = await statfs(homeDir)
    disks.push({ name: homeDir, available_space: s.bavail * s.bsize, total_space: s.blocks * s.bsize, file_system: '', file_type: String(s.type) })
  } catch {
    /* the home folder may be gone */
  }
  return {
    host_uptime: Math.round(uptime()),
    process_uptime: Math.round(process.uptime()),
    // Load over the last minute as a share of the CPUs (no sampling thread).
    used_cpu: Math.min(100, Math.round(((loadavg()[0] ?? 0) / Math.max(1, cpus().length)) * 1000) / 10),
    used_ram: totalmem() - freemem(),
    total_ram: totalmem(),
    disks,
    docker_stats: '[]',
  }
}
