/** PostgreSQL error codes the repositories react to (SQLSTATE, https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === '23505'
}
