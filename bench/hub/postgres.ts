/** The schema a `--store postgres://…` run gave its hub, dropped when the run ends. */
import pg from 'pg'

export async function dropSchema(store: { url: string; schema: string }): Promise<void> {
  const client = new pg.Client({ connectionString: store.url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
