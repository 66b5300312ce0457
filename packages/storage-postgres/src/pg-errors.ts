/** PostgreSQL error codes the repositories react to (SQLSTATE, https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === '23505'
}

/** PostgreSQL treats LIMIT NULL as none and refuses a negative one; the ports give no meaning to either. */
export const limitOf = (n: number): number => Math.max(0, Math.floor(n))
