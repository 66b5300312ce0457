/**
 * Who the dashboard is logged in as, kept in sessionStorage (this tab only, gone when it closes): either a hub access
 * policy connection string, from which fresh tokens are signed as needed, or a ready-made token from
 * `ledge hub dashboard-token`, which is used until it expires.
 */
import { createServiceSasToken, inspectSasToken, LoginError, parseServiceConnectionString, type ServiceLogin } from './sas.js'

const STORAGE_KEY = 'ledge.dashboard.login'
/** Lifetime of the tokens signed here; a new one is signed when less than {@link RENEW_BEFORE_S} is left. */
const TOKEN_LIFETIME_S = 3600
const RENEW_BEFORE_S = 300

export type StoredLogin = { kind: 'connection-string'; connectionString: string } | { kind: 'token'; token: string }

/** Where the login is kept; sessionStorage in the browser. */
export interface LoginStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export class Session {
  private cached: { token: string; expiresAt: number } | undefined

  private constructor(
    readonly stored: StoredLogin,
    readonly hostName: string,
    readonly policyName: string | undefined,
    private readonly login: ServiceLogin | undefined,
    private readonly now: () => number,
  ) {}

  /** Checks `stored` and makes a session of it; throws {@link LoginError} saying what is wrong. */
  static from(stored: StoredLogin, now: () => number = () => Date.now() / 1000): Session {
    if (stored.kind === 'connection-string') {
      const login = parseServiceConnectionString(stored.connectionString)
      return new Session(stored, login.hostName, login.policyName, login, now)
    }
    const info = inspectSasToken(stored.token)
    if (info.expiresAt <= now()) throw new LoginError(`this token expired at ${new Date(info.expiresAt * 1000).toLocaleString()}: print a new one with \`ledge hub dashboard-token\``)
    const s = new Session({ kind: 'token', token: stored.token.trim() }, info.hostName, info.policyName, undefined, now)
    s.cached = { token: stored.token.trim(), expiresAt: info.expiresAt }
    return s
  }

  /** When a ready-made token expires (epoch s); undefined for a connection-string login, which renews its tokens. */
  get expiresAt(): number | undefined {
    return this.login ? undefined : this.cached?.expiresAt
  }

  /** A valid token for the Authorization header; throws {@link LoginError} when a ready-made token has expired. */
  async token(): Promise<string> {
    const now = this.now()
    if (this.cached && this.cached.expiresAt - now > (this.login ? RENEW_BEFORE_S : 0)) return this.cached.token
    if (!this.login) throw new LoginError('the token has expired: print a new one with `ledge hub dashboard-token` and log in again')
    const expiresAt = Math.ceil(now + TOKEN_LIFETIME_S)
    this.cached = { token: await createServiceSasToken(this.login, expiresAt), expiresAt }
    return this.cached.token
  }

  save(store: LoginStore): void {
    store.setItem(STORAGE_KEY, JSON.stringify(this.stored))
  }

  static clear(store: LoginStore): void {
    store.removeItem(STORAGE_KEY)
  }

  /** The saved session, if any and still usable. */
  static restore(store: LoginStore, now?: () => number): Session | undefined {
    const text = store.getItem(STORAGE_KEY)
    if (!text) return undefined
    try {
      return Session.from(JSON.parse(text) as StoredLogin, now)
    } catch {
      store.removeItem(STORAGE_KEY)
      return undefined
    }
  }
}

/** A token handed over in the URL fragment (`#token=…`, as the CLI prints it); the fragment never reaches a server. */
export function tokenFromFragment(hash: string): string | undefined {
  const m = /(?:^#|[#&?])token=([^&]+)/.exec(hash)
  if (!m) return undefined
  try {
    return decodeURIComponent(m[1]!)
  } catch {
    return undefined
  }
}
