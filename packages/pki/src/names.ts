/**
 * Checking and normalising the names that go into certificates: common names, DNS names and IP addresses.
 */
import { isIP } from 'node:net'
import { errors } from './errors.js'

/** X.520 upper bound for a common name. */
const MAX_COMMON_NAME = 64
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

export function assertCommonName(value: unknown, what = 'commonName'): string {
  if (typeof value !== 'string' || value.trim() === '') throw errors.invalidOption(`${what} must be a non-empty string`)
  if (value.length > MAX_COMMON_NAME) throw errors.invalidOption(`${what} '${value}' is longer than ${MAX_COMMON_NAME} characters`)
  return value
}

export function assertValidityDays(value: unknown, what = 'validityDays'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw errors.invalidOption(`${what} must be a positive number of days, got ${String(value)}`)
  }
  return value
}

/** A DNS name for a SAN, lowercase. A leading `*.` wildcard label is allowed. */
export function normaliseDnsName(name: string): string {
  if (typeof name !== 'string' || name === '') throw errors.invalidOption('host names must be non-empty strings')
  if (/:\d+$/.test(name)) throw errors.invalidOption(`host name '${name}' has a port: give the name only (the certificate does not depend on the port)`)
  const lower = name.toLowerCase().replace(/\.$/, '')
  const labels = lower.split('.')
  const ok = lower.length <= 253 && labels.every((l, i) => DNS_LABEL.test(l) || (i === 0 && l === '*' && labels.length > 2))
  if (!ok) throw errors.invalidOption(`host name '${name}' is not a valid DNS name`)
  return lower
}

/** An IP address in canonical text form (IPv6 compressed, lowercase), so SAN comparisons are exact. */
export function normaliseIp(ip: string): string {
  const version = typeof ip === 'string' ? isIP(ip) : 0
  if (version === 0) throw errors.invalidOption(`'${String(ip)}' is not an IP address`)
  if (version === 4) return ip
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1)
}

/**
 * The SANs for a server certificate: DNS names and IPs, checked, normalised and de-duplicated.
 * A "host name" that is an IP address (a hub started with `--hostname 127.0.0.1`) goes to the IPs: a DNS SAN
 * holding an IP text does not match a client dialling that IP.
 */
export function subjectAltNames(dnsNames: readonly string[], ipAddresses: readonly string[]): { dns: string[]; ips: string[] } {
  if (!Array.isArray(dnsNames) || !Array.isArray(ipAddresses)) throw errors.invalidOption('dnsNames and ipAddresses must be arrays')
  const dns = new Set<string>()
  const ips = new Set<string>()
  for (const name of dnsNames) {
    if (typeof name === 'string' && isIP(name.replace(/^\[|\]$/g, ''))) ips.add(normaliseIp(name.replace(/^\[|\]$/g, '')))
    else dns.add(normaliseDnsName(name))
  }
  for (const ip of ipAddresses) ips.add(normaliseIp(ip))
  if (dns.size === 0 && ips.size === 0) throw errors.invalidOption('a server certificate needs at least one host name or IP address')
  return { dns: [...dns], ips: [...ips] }
}

/** True when `host` is matched by the DNS SAN `san` (exact, or a `*.` wildcard covering exactly one label). */
export function dnsNameMatches(san: string, host: string): boolean {
  if (san === host) return true
  if (!san.startsWith('*.')) return false
  const dot = host.indexOf('.')
  return dot > 0 && host.slice(dot + 1) === san.slice(2)
}
