export type * from './module-runtime.js'
export { moduleErrors } from './errors.js'
