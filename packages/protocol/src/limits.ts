/** IoT Hub's limits, which Ledge enforces the same way. */

/** Device-to-cloud message (body plus properties) size. */
export const MAX_D2C_MESSAGE_BYTES = 256 * 1024
/** Cloud-to-device message size. */
export const MAX_C2D_MESSAGE_BYTES = 64 * 1024
/** Each of tags, desired and reported. */
export const MAX_TWIN_SECTION_BYTES = 32 * 1024
/** Direct method request and response payloads. */
export const MAX_METHOD_PAYLOAD_BYTES = 128 * 1024
/** C2D messages waiting per device. */
export const MAX_C2D_QUEUE_DEPTH = 50
/** C2D time to live: default one hour, at most two days. */
export const DEFAULT_C2D_TTL_MS = 60 * 60 * 1000
export const MAX_C2D_TTL_MS = 48 * 60 * 60 * 1000
/** Direct method response timeout (seconds): 5 to 300, default 30. */
export const MIN_METHOD_TIMEOUT_S = 5
export const MAX_METHOD_TIMEOUT_S = 300
export const DEFAULT_METHOD_TIMEOUT_S = 30
/** The REST api-versions this hub answers. */
export const SUPPORTED_API_VERSIONS: readonly string[] = [
  '2016-11-14', '2017-06-30', '2018-04-01', '2018-06-30', '2019-03-30', '2019-07-01-preview', '2019-10-01',
  '2020-03-13', '2020-05-31-preview', '2020-06-30', '2020-09-30', '2021-04-12', '2021-06-30-preview',
]
export const API_VERSION = '2021-04-12'
