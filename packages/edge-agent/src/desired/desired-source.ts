/** Where the deployment comes from: the `$edgeAgent` twin, or the backup of the last good one. */
import { errors } from '../errors.js'

export interface DesiredDocument {
  /** The twin's `$version` of the desired properties, when known: it names the deployment. */
  version: number | undefined
  /** `$edgeAgent` `properties.desired` as received, twin metadata included; the agent validates it. */
  desired: unknown
  source: 'twin' | 'backup' | 'static'
}

export interface DesiredSource {
  /** The latest deployment. Throws `ERR_DESIRED_UNAVAILABLE` when there is none yet (offline, no backup). */
  get(signal?: AbortSignal): Promise<DesiredDocument>
  /** Called when a new deployment may have arrived; returns the unsubscribe function. */
  onChange(listener: () => void): () => void
}

/** A fixed document (tests, and a local file later). */
export class StaticDesiredSource implements DesiredSource {
  private listeners = new Set<() => void>()

  constructor(private doc: DesiredDocument | undefined) {}

  set(doc: DesiredDocument | undefined): void {
    this.doc = doc
    for (const l of this.listeners) l()
  }

  async get(): Promise<DesiredDocument> {
    if (!this.doc) throw errors.desiredUnavailable('no deployment has been received')
    return this.doc
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
