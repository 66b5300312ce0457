export { DockerModuleRuntime, DEFAULT_IMAGE_GC, type DockerModuleRuntimeOptions } from './docker-module-runtime.js'
export { connect, engineInfo, DEFAULT_DOCKER_URI, type EngineInfo } from './engine.js'
export { DEFAULT_NETWORK, DEFAULT_STOP_GRACE_MS, DOCKER_TYPE, LABELS, OWNER, createBody, parseSettings, type DockerSettings, type RegistryAuth } from './settings.js'
export { decodeFrames, timedLines } from './log-stream.js'
