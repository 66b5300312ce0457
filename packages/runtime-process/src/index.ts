export { ProcessModuleRuntime, type ProcessModuleRuntimeOptions } from './process-module-runtime.js'
export { DEFAULT_LOG_ROTATION, type LogRotation } from './log-file.js'
export { DEFAULT_PATH, INHERITED_ENV, INHERITED_ENV_PREFIXES } from './child-env.js'
export { DEFAULT_STOP_GRACE_MS, PROCESS_TYPE } from './settings.js'
