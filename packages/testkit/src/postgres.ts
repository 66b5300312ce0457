/**
 * The PostgreSQL server the tests use (LEDGE_TEST_POSTGRES_URL, default the machine's server on 127.0.0.1:5432,
 * database `test`), and a schema of a test's own in it, dropped after the test.
 */
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import pg from 'pg'

export const TEST_POSTGRES_URL = process.env.LEDGE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** undefined when the server answers a query; else why not, with what to do about it. */
export async function postgresProblem(url: string = TEST_POSTGRES_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return undefined
  } catch (err) {
    return `no PostgreSQL answers at ${url} (${(err as Error).message}): start one, or set LEDGE_TEST_POSTGRES_URL`
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Runs one SQL statement on a connection of its own (for what a test checks or changes behind a store's back). */
export async function postgresQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    return (await client.query<R>(sql, params)).rows
  } finally {
    await client.end()
  }
}

/** A fresh schema name (the store creates the schema) and its removal. */
export function scratchPostgresSchema(): { schema: string; drop: () => Promise<void> } {
  const schema = `ledge_test_${randomBytes(6).toString('hex')}`
  return { schema, drop: async () => void (await postgresQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)) }
}

/** {@link scratchPostgresSchema}, dropped when `t` ends. */
export function postgresSchemaFor(t: TestContext): string {
  const { schema, drop } = scratchPostgresSchema()
  t.after(drop)
  return schema
}
