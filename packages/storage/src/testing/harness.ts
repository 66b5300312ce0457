import { it, type TestContext } from 'node:test'
import type { HubStore } from '../hub-store.js'

/** What an adapter's factory returns for one test: a fresh, empty store. */
export interface HubStoreFixture {
  store: HubStore
  /**
   * Opens the same data again, after the suite has closed `store` (durability checks). Leave it out for stores that
   * keep nothing across `close()`, such as an in-memory one: the durability cases are then skipped.
   */
  reopen?: () => Promise<HubStore>
  /** Releases what `create` made (temp files, a database schema). Called once, after every store was closed. */
  cleanup: () => Promise<void>
}

export interface HubStoreContractOptions {
  /** Shown in the test names, e.g. 'sqlite (temp file)'. */
  name: string
  /** Makes a fresh, empty store; called once per test case. */
  create: () => Promise<HubStoreFixture>
}

/** The store under test, and a way to close and reopen it. */
export interface StoreSession {
  /** The currently open store (changes after `reopen`). */
  readonly store: HubStore
  readonly canReopen: boolean
  /** Closes the current store and opens the same data again. */
  reopen(): Promise<HubStore>
}

/**
 * Runs `fn` against a fresh store; closes every store it opened (each exactly once) and then calls `cleanup`,
 * whether `fn` passed or not.
 */
export async function withStore(create: HubStoreContractOptions['create'], fn: (s: StoreSession) => Promise<void>): Promise<void> {
  const fixture = await create()
  let current: HubStore | undefined = fixture.store
  const session: StoreSession = {
    get store() {
      if (!current) throw new Error('the store is closed')
      return current
    },
    canReopen: fixture.reopen !== undefined,
    async reopen() {
      if (!fixture.reopen) throw new Error('this adapter gives no reopen()')
      const closing = current
      current = undefined
      await closing?.close()
      current = await fixture.reopen()
      return current
    },
  }
  try {
    await fn(session)
  } finally {
    try {
      await current?.close()
    } finally {
      await fixture.cleanup()
    }
  }
}

/** `it`, but each case gets a fresh store from `create` (and gives it back). */
export type StoreCase = (name: string, fn: (s: StoreSession, t: TestContext) => Promise<void>) => void

export function storeCase(create: HubStoreContractOptions['create']): StoreCase {
  return (name, fn) => {
    it(name, (t) => withStore(create, (s) => fn(s, t)))
  }
}
