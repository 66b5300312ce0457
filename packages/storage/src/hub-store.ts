import type { C2dQueue } from './c2d-queue.js'
import type { DpsRepository } from './dps-repository.js'
import type { EventLog } from './event-log.js'
import type { IdentityRepository } from './identity-repository.js'
import type { PolicyRepository } from './policy-repository.js'
import type { SessionRepository } from './session-repository.js'
import type { ConfigurationRepository } from './configuration-repository.js'

/** Everything the hub keeps, from one storage adapter. `close()` flushes and releases it. */
export interface HubStore {
  readonly identities: IdentityRepository
  readonly c2d: C2dQueue
  readonly events: EventLog
  readonly policies: PolicyRepository
  readonly sessions: SessionRepository
  readonly configurations: ConfigurationRepository
  /** The device provisioning service's enrollments and registrations (schema v3). */
  readonly dps: DpsRepository
  /**
   * Resolves once the store answers a trivial query; rejects with AppError `ERR_STORE_UNAVAILABLE` (kind
   * `unavailable`) when it cannot (a database server down or unreachable, a closed store). For health checks.
   */
  ping(): Promise<void>
  close(): Promise<void>
}
