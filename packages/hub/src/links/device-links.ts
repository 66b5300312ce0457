/**
 * The port through which the hub's services reach a connected device or module, whatever protocol head
 * (MQTT over TLS or WebSockets; AMQP later) holds the connection. In a scaled-out hub this becomes a bus.
 */

export interface DeviceLink {
  readonly deviceId: string
  readonly moduleId: string | null
  /** True once the client subscribed to direct methods. */
  acceptsMethods(): boolean
  /** Sends a direct method request; false if the client does not listen for methods. */
  sendMethodRequest(methodName: string, rid: string, payload: Buffer): boolean
  /** Sends a desired-properties patch if the client subscribed to them. */
  sendDesiredPatch(patch: Record<string, unknown>): void
  /** New C2D messages are waiting: deliver them if the client subscribed. */
  c2dAvailable(): void
  /** Closes the connection (identity deleted, disabled or its keys changed). */
  close(reason: string): void
}

function key(deviceId: string, moduleId: string | null | undefined): string {
  return moduleId ? `${deviceId}/${moduleId}` : deviceId
}

type Waiter = () => void

export class DeviceLinks {
  private readonly links = new Map<string, DeviceLink>()
  private readonly methodWaiters = new Map<string, Set<Waiter>>()

  /** Registers a link; returns the one it replaces (the caller closes it: MQTT-3.1.4-2). */
  add(link: DeviceLink): DeviceLink | undefined {
    const k = key(link.deviceId, link.moduleId)
    const previous = this.links.get(k)
    this.links.set(k, link)
    return previous
  }

  remove(link: DeviceLink): void {
    const k = key(link.deviceId, link.moduleId)
    if (this.links.get(k) === link) this.links.delete(k)
  }

  get(deviceId: string, moduleId: string | null | undefined): DeviceLink | undefined {
    return this.links.get(key(deviceId, moduleId))
  }

  get size(): number {
    return this.links.size
  }

  all(): IterableIterator<DeviceLink> {
    return this.links.values()
  }

  /** Called by a protocol head when a client subscribes to methods, so that waiting invocations go ahead. */
  methodsReady(deviceId: string, moduleId: string | null): void {
    const waiters = this.methodWaiters.get(key(deviceId, moduleId))
    if (!waiters) return
    this.methodWaiters.delete(key(deviceId, moduleId))
    for (const w of waiters) w()
  }

  /** Resolves true when the identity listens for methods within `ms`, false otherwise. */
  waitForMethods(deviceId: string, moduleId: string | null, ms: number): Promise<boolean> {
    if (this.get(deviceId, moduleId)?.acceptsMethods()) return Promise.resolve(true)
    if (ms <= 0) return Promise.resolve(false)
    return new Promise((resolve) => {
      const k = key(deviceId, moduleId)
      const set = this.methodWaiters.get(k) ?? new Set()
      this.methodWaiters.set(k, set)
      const done: Waiter = () => {
        clearTimeout(timer)
        resolve(true)
      }
      const timer = setTimeout(() => {
        set.delete(done)
        resolve(false)
      }, ms)
      set.add(done)
    })
  }
}
