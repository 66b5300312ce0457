export * from './management-api.js'
export * from './workload-api.js'
export * from './manifest.js'
