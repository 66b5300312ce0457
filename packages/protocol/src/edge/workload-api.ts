/**
 * The workload API a module calls through `IOTEDGE_WORKLOADURI` (Azure's workloadVersion 2018-06-28 …, reference:
 * azure-sdk-wire.md §6 and azure-iotedge.md §2). Plain HTTP over a Unix socket per module (or loopback TCP).
 */

export interface SignRequest {
  /** Ignored by newer daemons; the SDK still sends them. */
  keyId?: string
  algo?: string
  /** base64 of the data to sign (for SAS: `<url-encoded sr>\n<expiry>`). */
  data: string
}

export interface SignResponse {
  /** base64 HMAC-SHA256 of the decoded data under the module's key. */
  digest: string
}

export interface TrustBundleResponse {
  /** PEM: the edge CA plus the user's `trust_bundle_cert`. */
  certificate: string
}

export interface ServerCertificateRequest {
  commonName: string
  /** ISO 8601; the daemon may issue a shorter one. */
  expiration?: string
}

export interface CertificateResponse {
  privateKey: { type: 'key'; bytes: string }
  /** PEM chain: the leaf first, then the edge CA. */
  certificate: string
  expiration: string
}

/** The environment every module is started with (reference: azure-iotedge.md §2). */
export const IOTEDGE_ENV = {
  workloadUri: 'IOTEDGE_WORKLOADURI',
  authScheme: 'IOTEDGE_AUTHSCHEME',
  generationId: 'IOTEDGE_MODULEGENERATIONID',
  iothubHostName: 'IOTEDGE_IOTHUBHOSTNAME',
  gatewayHostName: 'IOTEDGE_GATEWAYHOSTNAME',
  deviceId: 'IOTEDGE_DEVICEID',
  moduleId: 'IOTEDGE_MODULEID',
  apiVersion: 'IOTEDGE_APIVERSION',
  managementUri: 'IOTEDGE_MANAGEMENTURI',
  edgeDeviceHostName: 'EdgeDeviceHostName',
} as const
