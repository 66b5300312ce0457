export { startTestHub, type TestHub } from './hub.js'
export { freeLoopbackAddress, privilegedPortProblem } from './loopback.js'
export { inCi, requireEnvironment, testCaFiles } from './environment.js'
export { repoRoot, testArtifactsDir } from './paths.js'
