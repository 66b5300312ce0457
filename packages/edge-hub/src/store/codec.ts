/** How a message's properties are kept: one JSON header beside the raw body. */
import type { ApplicationProperties, Message, SystemProperties } from '@ledge/protocol'

interface Header {
  s: SystemProperties
  p: ApplicationProperties
}

export function encodeHeader(m: Message): string {
  return JSON.stringify({ s: m.systemProperties, p: m.properties } satisfies Header)
}

export function decodeMessage(header: string, body: Buffer): Message {
  const h = JSON.parse(header) as Header
  return { body, systemProperties: h.s, properties: h.p }
}
