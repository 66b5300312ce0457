/**
 * Keeps a reserve of free space on the store's file system whatever the quota says (another process may fill the
 * disk). `statfs` is asked at most once a second; in between, the bytes the store wrote are subtracted.
 */
import { statfsSync } from 'node:fs'
import type { Clock } from '@ledge/common'

export class DiskGuard {
  private free = Infinity
  private checkedAt = -Infinity
  private writtenSince = 0

  constructor(
    private readonly dir: string,
    readonly minFreeBytes: number,
    private readonly clock: Clock,
    private readonly refreshMs = 1000,
  ) {}

  /** Free bytes after this write of `bytes`, or Infinity when the check is disabled. */
  freeAfter(bytes: number): number {
    if (this.minFreeBytes <= 0) return Infinity
    const now = this.clock.now()
    if (now - this.checkedAt >= this.refreshMs || now < this.checkedAt) {
      const s = statfsSync(this.dir)
      this.free = s.bavail * s.bsize
      this.checkedAt = now
      this.writtenSince = 0
    }
    return this.free - this.writtenSince - bytes
  }

  wrote(bytes: number): void {
    this.writtenSince += bytes
  }
}
