/**
 * IoT Hub configurations (automatic edge deployments): what `PUT /configurations/{id}` stores. The hub owns the
 * document's shape and validation; the store keeps it as one record per id.
 */
export interface ConfigurationRecord {
  id: string
  /** `content.modulesContent`: per module, `properties.desired` (base) or `properties.desired.a.b` paths (layered). */
  modulesContent: Record<string, Record<string, unknown>>
  targetCondition: string
  priority: number
  /** Layered deployments merge onto the device's base deployment instead of replacing it. */
  layered: boolean
  labels: Record<string, string>
  /** Custom metrics: name → `SELECT deviceId FROM devices.modules WHERE …`. */
  metricQueries: Record<string, string>
  createdTimeUtc: string
  lastUpdatedTimeUtc: string
  etag: string
}

/**
 * Errors: `create` throws AppError `ERR_STORE_CONFLICT` when the id exists; `update` throws `ERR_STORE_CONFLICT` when
 * the stored etag differs from `expectedEtag`, and `ERR_STORE_NOT_FOUND` when the id is gone.
 */
export interface ConfigurationRepository {
  get(id: string): Promise<ConfigurationRecord | undefined>
  /** All configurations, ordered by id (a hub holds at most a few hundred). */
  list(): Promise<ConfigurationRecord[]>
  create(record: ConfigurationRecord): Promise<void>
  /** Compare-and-swap on the etag the caller read. */
  update(record: ConfigurationRecord, expectedEtag: string): Promise<void>
  delete(id: string): Promise<boolean>
}
