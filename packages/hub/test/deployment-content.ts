/** Edge deployment content for the deployment tests: process modules under Azure's `$edgeAgent` schema 1.1. */
import { edgeDeployment } from '@ledge/testkit'

export const processModule = (script: string) => ({ version: '1.0', type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node', args: [script] } })

/** `modulesContent` with `$edgeAgent` running `modules` and `$edgeHub` with `routes`. */
export const edgeContent = (modules: Record<string, unknown>, routes: Record<string, string> = {}) =>
  edgeDeployment({
    edgeAgent: { type: 'process', settings: { command: 'node' } },
    edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } },
    modules,
    routes,
  })
