/**
 * Device and module twins: service-side reads, patches and replacements of tags and desired properties, and
 * device-side reported patches. Each desired change is announced so the connected device gets
 * `$iothub/twin/PATCH/properties/desired/` with the new `$version`.
 */
import { MAX_TWIN_SECTION_BYTES, mergeTwinPatch, validateTwinDocument, withoutNulls, type Twin } from '@ledge/protocol'
import type { Clock } from '@ledge/common'
import type { IdentityRecord } from '@ledge/storage'
import { errors } from '../errors.js'
import type { Presence } from '../presence/presence.js'
import { checkEtag, type RegistryService } from '../registry/registry-service.js'
import { twinEtag } from '../registry/keys.js'
import { toTwin } from '../registry/to-wire.js'

export interface TwinEvents {
  desiredChanged(deviceId: string, moduleId: string | null, patch: Record<string, unknown>): void
  /** Any twin change (tags, desired or reported), after it is stored: automatic deployments re-evaluate targets. */
  twinChanged?(deviceId: string, moduleId: string | null): void
}

export interface TwinPatchInput {
  tags?: Record<string, unknown> | null
  properties?: { desired?: Record<string, unknown> | null; reported?: unknown } | null
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkSection(doc: Record<string, unknown>, what: string): void {
  const err = validateTwinDocument(doc, what)
  if (err) throw errors.argumentInvalid(err)
  const size = Buffer.byteLength(JSON.stringify(doc))
  if (size > MAX_TWIN_SECTION_BYTES) throw errors.messageTooLarge(what, size, MAX_TWIN_SECTION_BYTES)
}

function stripReserved(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(doc)) if (!k.startsWith('$')) out[k] = v
  return out
}

export class TwinService {
  constructor(private readonly d: { registry: RegistryService; presence: Presence; clock: Clock; events: TwinEvents; c2dCount: (d: string) => Promise<number> }) {}

  private nowIso(): string {
    return new Date(this.d.clock.now()).toISOString()
  }

  async get(deviceId: string, moduleId: string | null): Promise<Twin> {
    const r = await this.d.registry.getRecord(deviceId, moduleId)
    if (!r) throw moduleId ? errors.moduleNotFound(deviceId, moduleId) : errors.deviceNotFound(deviceId)
    return toTwin(r, this.d.presence, moduleId ? 0 : await this.d.c2dCount(deviceId))
  }

  /** The `{desired, reported}` document a device gets for `$iothub/twin/GET`. */
  async getForDevice(deviceId: string, moduleId: string | null): Promise<{ desired: unknown; reported: unknown }> {
    const r = await this.d.registry.getRecord(deviceId, moduleId)
    if (!r) throw moduleId ? errors.moduleNotFound(deviceId, moduleId) : errors.deviceNotFound(deviceId)
    return {
      desired: { ...r.twin.desired, $version: r.twin.desiredVersion },
      reported: { ...r.twin.reported, $version: r.twin.reportedVersion },
    }
  }

  /** PATCH /twins/{id}: merge tags and desired properties (null deletes). */
  async patch(deviceId: string, moduleId: string | null, input: unknown, ifMatch: string | undefined): Promise<Twin> {
    return this.change(deviceId, moduleId, input, ifMatch, 'patch')
  }

  /** PUT /twins/{id}: replace tags and desired properties. */
  async replace(deviceId: string, moduleId: string | null, input: unknown, ifMatch: string | undefined): Promise<Twin> {
    return this.change(deviceId, moduleId, input, ifMatch, 'replace')
  }

  private async change(deviceId: string, moduleId: string | null, input: unknown, ifMatch: string | undefined, mode: 'patch' | 'replace'): Promise<Twin> {
    if (!isObject(input)) throw errors.argumentInvalid('the twin must be a JSON object')
    const { tags, properties } = input as TwinPatchInput
    if (tags !== undefined && tags !== null && !isObject(tags)) throw errors.argumentInvalid('tags must be a JSON object')
    if (properties !== undefined && properties !== null && !isObject(properties)) throw errors.argumentInvalid('properties must be a JSON object')
    if (properties && (properties as Record<string, unknown>).reported !== undefined) {
      throw errors.argumentInvalid('reported properties can only be changed by the device itself')
    }
    const desired = properties?.desired
    if (desired !== undefined && desired !== null && !isObject(desired)) throw errors.argumentInvalid('properties.desired must be a JSON object')
    let announced: Record<string, unknown> | undefined
    const updated = await this.d.registry.mutate(deviceId, moduleId, (r) => {
      checkEtag(ifMatch, r.twin.etag, `the twin of '${moduleId ? `${deviceId}/${moduleId}` : deviceId}'`)
      const now = this.nowIso()
      const twin = { ...r.twin }
      let changed = false
      if (tags !== undefined) {
        twin.tags = mode === 'replace' ? withoutNulls(tags ?? {}) : mergeTwinPatch(twin.tags, tags ?? {})
        checkSection(twin.tags, 'tags')
        changed = true
      }
      announced = undefined
      if (desired !== undefined || mode === 'replace') {
        const patch = stripReserved(desired ?? {})
        twin.desired = mode === 'replace' ? withoutNulls(patch) : mergeTwinPatch(twin.desired, patch)
        checkSection(twin.desired, 'properties.desired')
        twin.desiredVersion += 1
        twin.desiredUpdatedTime = now
        announced = { ...(mode === 'replace' ? twin.desired : patch), $version: twin.desiredVersion }
        changed = true
      }
      if (changed) {
        twin.version += 1
        twin.etag = twinEtag(twin.version)
      }
      return { ...r, twin } satisfies IdentityRecord
    })
    if (announced) this.d.events.desiredChanged(deviceId, moduleId, announced)
    this.d.events.twinChanged?.(deviceId, moduleId)
    return toTwin(updated, this.d.presence, moduleId ? 0 : await this.d.c2dCount(deviceId))
  }

  /** A device's `$iothub/twin/PATCH/properties/reported/`: returns the new reported version. */
  async patchReported(deviceId: string, moduleId: string | null, patch: unknown): Promise<number> {
    if (!isObject(patch)) throw errors.argumentInvalid('the reported properties patch must be a JSON object')
    const clean = stripReserved(patch)
    const updated = await this.d.registry.mutate(deviceId, moduleId, (r) => {
      const twin = { ...r.twin }
      twin.reported = mergeTwinPatch(twin.reported, clean)
      checkSection(twin.reported, 'properties.reported')
      twin.reportedVersion += 1
      twin.reportedUpdatedTime = this.nowIso()
      twin.version += 1
      twin.etag = twinEtag(twin.version)
      return { ...r, twin }
    })
    this.d.events.twinChanged?.(deviceId, moduleId)
    return updated.twin.reportedVersion
  }
}
