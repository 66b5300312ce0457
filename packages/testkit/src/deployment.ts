/** Edge deployment content for tests, in the shape Azure's deployment manifests have. */

export interface EdgeDeploymentParts {
  /** `$edgeAgent`'s `runtime` (default: the process runtime, no settings). */
  runtime?: { type: string; settings: Record<string, unknown> }
  /** `systemModules.edgeAgent` and `systemModules.edgeHub`, as the test needs them run. */
  edgeAgent: Record<string, unknown>
  edgeHub: Record<string, unknown>
  modules: Record<string, unknown>
  /** `$edgeHub`'s routes, by name: a route string, or `{ route, priority, timeToLiveSecs }` (default: none). */
  routes?: Record<string, unknown>
}

/**
 * `modulesContent` for `applyConfigurationContent` or a deployment: `$edgeAgent` desired properties (schema 1.1) with
 * the runtime, the system modules and the modules; `$edgeHub` (schema 1.1) with the routes and a store-and-forward
 * time to live of 7200 s, Azure's default.
 */
export function edgeDeployment(p: EdgeDeploymentParts) {
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: p.runtime ?? { type: 'process', settings: {} },
          systemModules: { edgeAgent: p.edgeAgent, edgeHub: p.edgeHub },
          modules: p.modules,
        },
      },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: p.routes ?? {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  }
}
