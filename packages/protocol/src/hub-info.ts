/**
 * `<data-dir>/hub.json`: written by a running hub (mode 0600, it holds the `iothubowner` key), read by `ledge`
 * commands, the demo and tests on the same machine to find and log in to it.
 */
export interface HubInfoFile {
  hostName: string
  bind: string
  httpsPort: number
  mqttPort: number
  caFile: string
  serviceConnectionString: string
  pid: number
}

export const HUB_INFO_FILE = 'hub.json'
