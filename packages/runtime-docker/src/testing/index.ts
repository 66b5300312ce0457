/** Test helpers (`@ledge/runtime-docker/testing`): an engine check, locally built node images, contract modules, an edge config. */
export { behaviourModule, programModule } from './behaviours.js'
export { dockerProblem, TEST_DOCKER_URI } from './engine.js'
export { writeDockerEdgeConfig, type DockerEdgeConfigOptions } from './edge-config.js'
export { buildNodeImage, bundle, NODE_IN_IMAGE, TEST_REGISTRY, type NodeImageOptions } from './images.js'
export { testRuntime, type TestRuntime } from './runtime.js'
