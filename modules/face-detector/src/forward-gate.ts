/** Decides which frames go on to output `frames` (see the `forwardPolicy` setting). Keeps one count per camera. */
import type { ForwardPolicy } from './settings.js'

export class ForwardGate {
  private readonly lastCount = new Map<string, number>()

  decide(cameraId: string, faceCount: number, policy: ForwardPolicy, threshold: number): boolean {
    const previous = this.lastCount.get(cameraId)
    this.lastCount.set(cameraId, faceCount)
    switch (policy) {
      case 'always':
        return true
      case 'never':
        return false
      case 'threshold':
        return faceCount >= threshold
      case 'on-change':
        return faceCount >= threshold && faceCount !== previous
    }
  }
}
