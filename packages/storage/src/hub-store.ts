import type { C2dQueue } from './c2d-queue.js'
import type { EventLog } from './event-log.js'
import type { IdentityRepository } from './identity-repository.js'
import type { PolicyRepository } from './policy-repository.js'
import type { SessionRepository } from './session-repository.js'

/** Everything the hub keeps, from one storage adapter. `close()` flushes and releases it. */
export interface HubStore {
  readonly identities: IdentityRepository
  readonly c2d: C2dQueue
  readonly events: EventLog
  readonly policies: PolicyRepository
  readonly sessions: SessionRepository
  close(): Promise<void>
}
