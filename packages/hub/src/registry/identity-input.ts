/** The device and module bodies the REST API accepts (PUT /devices/{id}, PUT /devices/{d}/modules/{m}). */
import { z } from 'zod'

const symmetricKey = z.object({ primaryKey: z.string().nullish(), secondaryKey: z.string().nullish() }).partial()
const thumbprint = z.object({ primaryThumbprint: z.string().nullish(), secondaryThumbprint: z.string().nullish() }).partial()

export const authenticationInput = z
  .object({
    type: z.enum(['sas', 'selfSigned', 'certificateAuthority', 'none']).optional(),
    symmetricKey: symmetricKey.nullish(),
    x509Thumbprint: thumbprint.nullish(),
  })
  .partial()

export const deviceInput = z.looseObject({
  deviceId: z.string().optional(),
  status: z.enum(['enabled', 'disabled']).optional(),
  statusReason: z.string().nullish(),
  authentication: authenticationInput.nullish(),
  capabilities: z.object({ iotEdge: z.boolean().optional() }).nullish(),
  deviceScope: z.string().nullish(),
  parentScopes: z.array(z.string()).nullish(),
  etag: z.string().nullish(),
})
export type DeviceInput = z.infer<typeof deviceInput>

export const moduleInput = z.looseObject({
  moduleId: z.string().optional(),
  deviceId: z.string().optional(),
  managedBy: z.string().nullish(),
  authentication: authenticationInput.nullish(),
  etag: z.string().nullish(),
})
export type ModuleInput = z.infer<typeof moduleInput>

/** One line naming each problem zod found, e.g. `status: expected one of "enabled"|"disabled"`. */
export function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ')
}
