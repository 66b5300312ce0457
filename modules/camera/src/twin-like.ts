/**
 * The part of azure-iot-device's `Twin` the modules use, as a structural type: the SDK's `Twin` satisfies it, and
 * the code does not depend on the SDK's declaration details.
 */
export interface TwinLike {
  properties: {
    desired: Record<string, unknown>
    reported: { update(patch: unknown, done: (err?: Error) => void): void }
  }
  on(event: 'properties.desired', listener: (delta: unknown) => void): unknown
}

/** Writes reported-property patches one at a time, in order; a failed write is logged by the caller and not retried. */
export class ReportedWriter {
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly twin: TwinLike, private readonly onError: (err: Error) => void) {}

  write(patch: Record<string, unknown>): Promise<void> {
    this.chain = this.chain.then(
      () => new Promise<void>((resolve) => this.twin.properties.reported.update(patch, (err) => {
        if (err) this.onError(err)
        resolve()
      })),
    )
    return this.chain
  }
}
