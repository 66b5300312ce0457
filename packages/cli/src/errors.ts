/**
 * The CLI's errors. Each becomes ONE line on stderr (`error: <message>`) and an exit code: 2 when the command line is
 * wrong or incomplete (bad flag value, no login), 1 when the hub or the network said no.
 */

export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export class CliError extends Error {
  /**
   * @param lines when set, printed instead of the message, each as its own `error:` line (every invalid setting of
   *   `hub start`)
   */
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    options?: ErrorOptions,
    readonly lines?: readonly string[],
  ) {
    super(message, options)
    this.name = 'CliError'
  }
}

/** The hub answered with an error: IoT Hub's `ErrorCode` and the HTTP status. */
export class HubApiError extends CliError {
  constructor(message: string, readonly status: number, readonly errorCode: string | undefined) {
    super(errorCode ? `${message} (${errorCode})` : message, EXIT_FAILURE)
    this.name = 'HubApiError'
  }
}

export const errors = {
  usage: (message: string) => new CliError(message, EXIT_USAGE),
  /** A flag whose value does not parse; always names the flag. */
  badFlag: (flag: string, why: string) => new CliError(`${flag} ${why}`, EXIT_USAGE),
  failure: (message: string, cause?: unknown) => new CliError(message, EXIT_FAILURE, cause === undefined ? undefined : { cause }),
}

/** The text of an unexpected error, on one line. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim()
}
