/**
 * The environment a module starts with: a small, named part of the daemon's own environment, then the config's `env`
 * (which wins). Modules must not inherit the daemon's secrets, its `NODE_OPTIONS` (loaders, inspector flags) or a test
 * runner's `NODE_TEST_CONTEXT`, so this is an allow-list, not a deny-list.
 */

/** Inherited as they are when the daemon has them. */
export const INHERITED_ENV: readonly string[] = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS']
/** Every variable with one of these prefixes is inherited too (locale settings). */
export const INHERITED_ENV_PREFIXES: readonly string[] = ['LC_']
/** PATH when the daemon itself has none (a bare systemd unit has one, but not every supervisor sets it). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export function childEnv(own: Record<string, string>, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH }
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined) continue
    if (INHERITED_ENV.includes(key) || INHERITED_ENV_PREFIXES.some((p) => key.startsWith(p))) env[key] = value
  }
  return { ...env, ...own }
}
