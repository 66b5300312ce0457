import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** Where test runs keep what they make (the test CA, screenshots, logs); ignored by git. */
export function testArtifactsDir(): string {
  return process.env.LEDGE_TEST_ARTIFACTS ?? join(repoRoot, '.test-artifacts')
}
