/** Whether a Docker engine answers, for tests that need one (`requireEnvironment(t, await dockerProblem())`). */
import { connect, DEFAULT_DOCKER_URI } from '../engine.js'

/** undefined when the engine at `uri` answers `/_ping`; else why not, with what to do about it. */
export async function dockerProblem(uri: string = process.env.LEDGE_TEST_DOCKER_URI ?? DEFAULT_DOCKER_URI): Promise<string | undefined> {
  try {
    await connect(uri).ping()
    return undefined
  } catch (err) {
    return `no Docker engine answers at ${uri} (${(err as Error).message}): run packages/runtime-docker/scripts/start-dockerd.sh as root`
  }
}

export const TEST_DOCKER_URI = process.env.LEDGE_TEST_DOCKER_URI ?? DEFAULT_DOCKER_URI
