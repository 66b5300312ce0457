/** Edge deployment content for the deployment tests: process modules under Azure's `$edgeAgent` schema 1.1. */

export const processModule = (script: string) => ({ version: '1.0', type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node', args: [script] } })

const edgeAgentDesired = (modules: Record<string, unknown>) => ({
  schemaVersion: '1.1',
  runtime: { type: 'process', settings: {} },
  systemModules: {
    edgeAgent: { type: 'process', settings: { command: 'node' } },
    edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } },
  },
  modules,
})

/** `modulesContent` with `$edgeAgent` running `modules` and `$edgeHub` with `routes`. */
export const edgeContent = (modules: Record<string, unknown>, routes: Record<string, string> = {}) => ({
  modulesContent: {
    $edgeAgent: { 'properties.desired': edgeAgentDesired(modules) },
    $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
  },
})
