import type { Clock, Logger } from '@ledge/common'
import type { SessionStore } from '@ledge/mqtt-server'
import type { ClientAuthenticator } from '../ports.js'
import type { Router } from '../router/router.js'
import type { LocalTwins } from '../twins/local-twins.js'
import type { MethodRouter } from '../methods/method-router.js'
import type { LeafC2d } from './leaf-c2d.js'
import type { EdgeHubMetrics } from '../metrics/metrics.js'
import type { ConnectedClients } from './clients.js'

/** What the edge hub's MQTT head needs from the rest of the edge hub. */
export interface BrokerDeps {
  auth: ClientAuthenticator
  sessions: SessionStore
  clients: ConnectedClients
  router: Router
  twins: LocalTwins
  methods: MethodRouter
  c2d: LeafC2d
  metrics: EdgeHubMetrics
  /** The edge device's id: only its modules and devices in its scope may connect (the authenticator checks the scope). */
  edgeDeviceId: string
  clock: Clock
  log: Logger
}
