/**
 * Resolves twin-dialect references against a twin document: `tags.location.city` reads
 * `doc.tags.location.city`, matching property names case-sensitively.
 */
import type { Resolver } from './ast.js'
import { resolvePath } from './value.js'

/** Module twins (`FROM devices.modules`) carry `moduleId` next to `deviceId`, so it resolves the same way. */
export function twinResolver(doc: Record<string, unknown>): Resolver {
  return (ref) => (ref.kind === 'path' ? resolvePath(doc, ref.segments) : undefined)
}
