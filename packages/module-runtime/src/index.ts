export type * from './module-runtime.js'
