/**
 * The edge daemon's management API (Azure's `aziot-edged` managementVersion 2022-08-03, reference: azure-iotedge.md §3),
 * as JSON on the wire. The edge agent and the `ledge` device commands use it over a Unix socket.
 */

export const MANAGEMENT_API_VERSION = '2022-08-03'
export const WORKLOAD_API_VERSIONS = ['2018-06-28', '2019-01-30', '2019-11-05', '2020-07-07', '2021-12-07', '2022-08-03'] as const

export interface EnvVar {
  key: string
  value: string
}

/** What the agent asks the daemon to create or update (`POST /modules`, `PUT /modules/{name}`). */
export interface ModuleSpec {
  name: string
  /** `process` (Ledge's embedded default) or `docker`. */
  type: string
  imagePullPolicy?: 'on-create' | 'never'
  /** Kept with the module and returned by `GET /modules` (the agent's owner, version and spec hash). */
  labels?: Record<string, string>
  config: {
    /** Runtime-specific: for `process`, {@link ProcessModuleSettings}; for `docker`, `{image, createOptions}`. */
    settings: Record<string, unknown>
    env?: EnvVar[]
  }
}

/** The runtime statuses of the management API. */
export type ManagementRuntimeStatus = 'unknown' | 'running' | 'stopped' | 'failed' | 'dead'

export interface ModuleDetails {
  id: string
  name: string
  type: string
  config: { settings: Record<string, unknown>; env: EnvVar[] }
  labels?: Record<string, string>
  status: {
    /** From the module's own health check, where the runtime has one; absent otherwise. */
    health?: 'starting' | 'healthy' | 'unhealthy'
    startTime?: string
    exitStatus?: { statusTime: string; exitCode: string }
    runtimeStatus: { status: ManagementRuntimeStatus; description?: string }
  }
}

export interface ModuleList {
  modules: ModuleDetails[]
}

export interface IdentitySpec {
  moduleId: string
  managedBy?: string
}

export interface Identity {
  moduleId: string
  managedBy: string
  generationId: string
  authType: 'Sas' | 'X509' | 'None'
}

export interface IdentityList {
  identities: Identity[]
}

export interface SystemInfo {
  osType: string
  architecture: string
  version: string
  provisioning?: { type: string; dynamicReprovisioning: boolean; alwaysReprovisionOnStartup?: boolean }
  server_version?: string
  kernel_version?: string
  operating_system?: string
  operating_system_version?: string
  cpus?: number
  total_memory?: number
  virtualized?: string
}

/** Errors of the edge APIs: `{"message": "..."}` with the HTTP status. */
export interface EdgeApiError {
  message: string
}

/**
 * The settings of a `type: "process"` module: a command with its arguments, run under the daemon's supervision.
 * `command` is an executable (searched in PATH) or a path; relative paths and `workingDir` are resolved against the
 * daemon's `modules_dir`.
 */
export interface ProcessModuleSettings {
  command: string
  args?: string[]
  workingDir?: string
  /** Seconds between SIGTERM and SIGKILL on stop (default 10). */
  stopGraceSeconds?: number
  /** Ledge's stand-in for a Docker image name: shown in reports, changes trigger an update. */
  image?: string
}
