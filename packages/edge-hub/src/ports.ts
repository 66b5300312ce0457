/**
 * What the edge hub's broker needs from the parts around it, as ports: checking a client's credentials (the device
 * scope cache), and the cloud (the upstream link). Tests and the composition in edge-hub.ts plug the real ones in.
 */
import type { Message } from '@ledge/protocol'
import type { ClientIdentity } from './identity.js'

export type AuthOutcome = { ok: true; expiresAt: number } | { ok: false; reason: string }

export interface ClientAuthenticator {
  /** Checks a client's SAS token against the device scope; `expiresAt` is the token's expiry (epoch seconds). */
  authenticate(identity: ClientIdentity, sasToken: string | undefined): Promise<AuthOutcome>
}

export interface TwinDocument {
  desired: Record<string, unknown>
  reported: Record<string, unknown>
}

export interface MethodCall {
  name: string
  payload: Buffer
}

export interface MethodResult {
  status: number
  payload: Buffer
}

/** The cloud as the broker sees it: one logical connection per client identity. */
export interface CloudLink {
  readonly online: boolean
  /** Called with the new state whenever the link goes online or offline. */
  onStatus(listener: (online: boolean) => void): () => void
  getTwin(identity: ClientIdentity): Promise<TwinDocument>
  patchReported(identity: ClientIdentity, patch: Record<string, unknown>): Promise<number>
  onDesired(identity: ClientIdentity, listener: (patch: Record<string, unknown>) => void): () => void
  onMethod(identity: ClientIdentity, handler: (call: MethodCall) => Promise<MethodResult>): () => void
  /** C2D for a leaf device; the cloud message is completed only when `complete` is called. */
  onC2d(identity: ClientIdentity, listener: (message: Message, complete: () => void) => void): () => void
}
