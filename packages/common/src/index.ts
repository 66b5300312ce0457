export * from './app-error.js'
export * from './logger.js'
export * from './clock.js'
export * from './backoff.js'
