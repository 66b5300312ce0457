/**
 * Helpers for the hub's integration tests: the unmodified Azure SDK clients against a real hub from the testkit.
 */
import { createRequire } from 'node:module'
import type { TestHub } from '@ledge/testkit'

const require = createRequire(import.meta.url)
// The unmodified Azure IoT SDK packages, as users install them from npm.
export const device = require('azure-iot-device') as typeof import('azure-iot-device')
export const deviceMqtt = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')
export const iothub = require('azure-iothub') as typeof import('azure-iothub')

export type DeviceClient = import('azure-iot-device').Client
export type ModuleClient = import('azure-iot-device').ModuleClient

export function registryOf(th: TestHub): import('azure-iothub').Registry {
  return iothub.Registry.fromConnectionString(th.serviceConnectionString)
}

export function serviceClientOf(th: TestHub): import('azure-iothub').Client {
  return iothub.Client.fromConnectionString(th.serviceConnectionString)
}

/** Creates a device through the service SDK and returns its primary key. */
export async function createDevice(th: TestHub, deviceId: string, opts: { edge?: boolean; status?: 'enabled' | 'disabled' } = {}): Promise<string> {
  const registry = registryOf(th)
  const res = await registry.create({ deviceId, status: opts.status ?? 'enabled', ...(opts.edge ? { capabilities: { iotEdge: true } } : {}) })
  return res.responseBody.authentication!.symmetricKey!.primaryKey!
}

/** A connected device client; MqttWs dials 443 on the hub's own loopback address. */
export async function openDevice(th: TestHub, deviceId: string, key: string, transport: 'mqtt' | 'mqttws' = 'mqtt', options: Record<string, unknown> = {}): Promise<DeviceClient> {
  const cs = transport === 'mqtt'
    ? th.connectionString(deviceId, key)
    : `HostName=${th.host};DeviceId=${deviceId};SharedAccessKey=${key}`
  const client = device.Client.fromConnectionString(cs, transport === 'mqtt' ? deviceMqtt.Mqtt : deviceMqtt.MqttWs)
  await client.setOptions({ ca: th.caPem, ...options })
  await client.open()
  return client
}

export async function openModule(th: TestHub, deviceId: string, moduleId: string, key: string): Promise<ModuleClient> {
  const client = device.ModuleClient.fromConnectionString(th.connectionString(deviceId, key, moduleId), deviceMqtt.Mqtt)
  await client.setOptions({ ca: th.caPem })
  await client.open()
  return client
}

/** Calls the hub's REST API with a service token of the iothubowner policy (for routes the SDK has no call for). */
export async function rest(th: Pick<TestHub, 'url' | 'serviceConnectionString'>, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const { createServiceSasToken, parseServiceConnectionString } = await import('@ledge/protocol')
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const token = createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 3600 })
  const sep = path.includes('?') ? '&' : '?'
  const url = path.includes('api-version') ? `${th.url}${path}` : `${th.url}${path}${sep}api-version=2021-04-12`
  const init: RequestInit = { method, headers: { authorization: token, ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json; charset=utf-8'
  }
  const res = await fetch(url, init)
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

export { eventually } from '@ledge/testkit'

export function once<T>(emitter: import("node:events").EventEmitter, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${event}' event within ${ms} ms`)), ms)
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(t)
      resolve(args[0] as T)
    })
  })
}
