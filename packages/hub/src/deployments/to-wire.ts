/** A stored deployment in IoT Hub's wire shape (azure-iothub's `Configuration`). */
import type { ConfigurationRecord } from '@ledge/storage'

export interface Configuration {
  id: string
  schemaVersion: '1.0'
  labels: Record<string, string>
  content: { modulesContent: Record<string, Record<string, unknown>>; moduleContent: Record<string, never>; deviceContent: Record<string, never> }
  targetCondition: string
  createdTimeUtc: string
  lastUpdatedTimeUtc: string
  priority: number
  systemMetrics: { results: Record<string, number>; queries: Record<string, string> }
  metrics: { results: Record<string, number>; queries: Record<string, string> }
  etag: string
  /** Ledge: whether the deployment is layered (IoT Hub tells them apart by their content). */
  layered: boolean
}

export function toConfiguration(r: ConfigurationRecord, m: { system: Record<string, number>; systemQueries: Record<string, string>; user: Record<string, number> }): Configuration {
  return {
    id: r.id,
    schemaVersion: '1.0',
    labels: r.labels,
    content: { modulesContent: r.modulesContent, moduleContent: {}, deviceContent: {} },
    targetCondition: r.targetCondition,
    createdTimeUtc: r.createdTimeUtc,
    lastUpdatedTimeUtc: r.lastUpdatedTimeUtc,
    priority: r.priority,
    systemMetrics: { results: m.system, queries: m.systemQueries },
    metrics: { results: m.user, queries: r.metricQueries },
    etag: r.etag,
    layered: r.layered,
  }
}
