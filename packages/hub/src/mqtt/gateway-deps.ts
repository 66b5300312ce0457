import type { Clock, Logger } from '@ledge/common'
import type { SessionStore } from '@ledge/mqtt-server'
import type { Authenticator } from '../auth/authenticator.js'
import type { C2dService } from '../c2d/c2d-service.js'
import type { EventStream } from '../events/event-stream.js'
import type { DeviceLinks } from '../links/device-links.js'
import type { MethodService } from '../methods/method-service.js'
import type { Presence } from '../presence/presence.js'
import type { RegistryService } from '../registry/registry-service.js'
import type { TwinService } from '../twins/twin-service.js'
import type { DpsService } from '../dps/dps-service.js'

/** What the MQTT protocol head needs from the rest of the hub. */
export interface GatewayDeps {
  registry: RegistryService
  twins: TwinService
  methods: MethodService
  c2d: C2dService
  events: EventStream
  authenticator: Authenticator
  presence: Presence
  links: DeviceLinks
  sessions: SessionStore
  clock: Clock
  log: Logger
  /** The device provisioning service: CONNECTs with a DPS username go to it. */
  dps?: DpsService
}
