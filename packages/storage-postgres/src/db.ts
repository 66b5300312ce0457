/**
 * The store's connection pool (node-postgres): every connection works in the store's own schema (its search_path),
 * and reads PostgreSQL's bigint as a JavaScript number (offsets, sequence numbers, epoch milliseconds and counts stay
 * far below 2^53), so rows map to records without conversions in each repository.
 */
import pg from 'pg'

/** What a repository needs of a connection: a query, and its rows. */
export interface Queryable {
  query(sql: string, params?: readonly unknown[]): Promise<{ rowCount: number }>
  rows<R>(sql: string, params?: readonly unknown[]): Promise<R[]>
}

export interface Db extends Queryable {
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  end(): Promise<void>
}

/** A LIMIT from a port's `limit`: PostgreSQL refuses a negative one; the stores read it as zero rows, as SQLite's adapter does. */
export const limitOf = (n: number): number => Math.max(0, Math.floor(n))

const INT8_OID = 20

const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query(sql, params) {
      const result = await client.query(sql, params as unknown[] | undefined)
      return { rowCount: result.rowCount ?? 0 }
    },
    async rows<R>(sql: string, params?: readonly unknown[]) {
      const result = await client.query(sql, params as unknown[] | undefined)
      return result.rows as R[]
    },
  }
}

export interface PoolOptions {
  connectionString: string
  schema: string
  max: number
  /** Called with errors of idle connections (a server restart): the pool replaces them; the store logs why. */
  onIdleError: (err: Error) => void
}

export function openPool(opts: PoolOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max,
    // A server that drops packets would otherwise leave a query waiting for a connection for ever.
    connectionTimeoutMillis: 10_000,
    types,
    options: `-c search_path=${opts.schema}`,
    // Names the store in pg_stat_activity (63 bytes at most), so an operator sees which hub schema a session serves.
    application_name: `ledge ${opts.schema}`.slice(0, 63),
  })
  pool.on('error', opts.onIdleError)
  return {
    ...queryable(pool),
    async transaction(fn) {
      const client = await pool.connect()
      // A connection whose ROLLBACK fails is broken: released with the error, the pool drops it.
      let broken: Error | undefined
      try {
        await client.query('BEGIN')
        const result = await fn(queryable(client))
        await client.query('COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError
        })
        throw err
      } finally {
        client.release(broken)
      }
    },
    end: () => pool.end(),
  }
}
