export { startHub, WEBSOCKET_PATH, type RunningHub } from './hub.js'
export { parseHubSettings, defaultHubSettings, HubSettingsError, type HubSettings, type HubSettingsInput } from './config.js'
export { errors as hubErrors } from './errors.js'
export { runHubProcess } from './main.js'
