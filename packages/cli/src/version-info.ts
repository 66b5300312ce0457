/** The CLI's version, from its package.json. */
import { packageVersion } from '@ledge/common'

export const CLI_VERSION: string = packageVersion('@ledge/cli')
