/**
 * (The same file as modules/camera/src/desired-state.ts: each module stands alone, as an Azure module would.)
 *
 * Twin desired properties arrive as a whole document first and as patches afterwards (azure-iot-device emits
 * `properties.desired` with the full document once, then with each delta). This folds them into one document, as the
 * twin service does: objects merge, `null` deletes a key, and `$`-prefixed metadata (`$version`) is dropped.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A new document: `base` with `patch` applied. Neither argument is changed. */
export function applyDesiredPatch(base: JsonObject, patch: unknown): JsonObject {
  if (!isJsonObject(patch)) return { ...base }
  const out: JsonObject = { ...base }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue
    if (value === null) delete out[key]
    else if (isJsonObject(value)) out[key] = applyDesiredPatch(isJsonObject(out[key]) ? out[key] : {}, value)
    else out[key] = value
  }
  return out
}
