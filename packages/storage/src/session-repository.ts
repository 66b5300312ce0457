/**
 * MQTT sessions that outlive their connection (clean=false): which of the dialect's subscriptions a client holds.
 * IoT Hub keeps them across its own restarts, and the Azure SDK relies on that: after a reconnect it never subscribes
 * to the twin topics again.
 */
export interface SessionRepository {
  /** The subscriptions of a persistent session, or undefined when there is none. */
  get(clientId: string): Promise<string[] | undefined>
  /** Creates or replaces a session. */
  put(clientId: string, subscriptions: readonly string[]): Promise<void>
  /** Removes a session; true if there was one. */
  delete(clientId: string): Promise<boolean>
  /** Removes the sessions of a device and of its modules (client ids `d` and `d/…`); returns how many. */
  deleteForDevice(deviceId: string): Promise<number>
}
