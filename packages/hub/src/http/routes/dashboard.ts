/**
 * The web dashboard (`packages/dashboard`) as static files under /dashboard/ on the HTTPS port. The files are public:
 * the dashboard logs in with a shared access policy and calls the REST API like any other service client, so
 * nothing here checks a token. When the dashboard has not been built, /dashboard/ says how to build it.
 */
import { readFile, stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import { packageDir } from '@ledge/common'
import type { FastifyInstance, FastifyReply } from 'fastify'

/** Where `npm run build -w @ledge/dashboard` writes the dashboard, in this workspace. */
export const DEFAULT_DASHBOARD_DIR = join(packageDir('@ledge/hub'), '..', 'dashboard', 'dist') + sep

export const DASHBOARD_PATH = '/dashboard/'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * The dashboard talks only to this origin; frames are shown from data: URLs; uPlot and Preact set styles from script.
 * No framing (clickjacking), no referrer (a token in the URL fragment is never sent, but be safe).
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

const NOT_BUILT = (dir: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ledge dashboard: not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; line-height: 1.5">
<h1>The Ledge dashboard is not built yet</h1>
<p>This hub serves the dashboard from <code>${escapeHtml(dir)}</code>, which has no <code>index.html</code>.</p>
<p>Build it from the repository root, then reload this page:</p>
<pre style="background:#f3f3f3;padding:1rem">npm run build -w @ledge/dashboard</pre>
<p>The REST API on this port works without it.</p>
</body></html>
`

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The file under `root` that `rel` names, or undefined when `rel` is malformed or leaves `root`. */
export function resolveDashboardFile(root: string, rel: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(rel)
  } catch {
    return undefined
  }
  if (decoded.includes('\0') || decoded.split(/[\\/]/).some((s) => s === '..')) return undefined
  const base = resolve(root)
  const file = resolve(base, `.${'/'}${decoded}`)
  return file === base || file.startsWith(base + sep) ? file : undefined
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

function sendHeaders(reply: FastifyReply): FastifyReply {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) void reply.header(k, v)
  return reply
}

export function dashboardRoutes(app: FastifyInstance, opts: { dir?: string } = {}): void {
  const root = resolve(opts.dir ?? DEFAULT_DASHBOARD_DIR)
  const index = join(root, 'index.html')

  const serve = async (rel: string, reply: FastifyReply): Promise<FastifyReply> => {
    sendHeaders(reply)
    if (!(await isFile(index))) {
      return reply.status(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT(root))
    }
    const wanted = rel === '' ? index : resolveDashboardFile(root, rel)
    if (wanted === undefined) return reply.status(400).type('text/plain; charset=utf-8').send('bad path\n')
    // Routing is in the URL fragment, so any other path is a missing file, not a page.
    if (!(await isFile(wanted))) return reply.status(404).type('text/plain; charset=utf-8').send(`no such file in the dashboard: ${rel}\n`)
    const type = CONTENT_TYPES[extname(wanted).toLowerCase()] ?? 'application/octet-stream'
    // Vite names built assets by content hash: they never change. index.html must be checked each time.
    const immutable = wanted.startsWith(join(root, 'assets') + sep)
    void reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    return reply.type(type).send(await readFile(wanted))
  }

  // The router ignores trailing slashes: /dashboard and /dashboard/ are both the index (asset paths are absolute).
  app.get('/dashboard', async (_request, reply) => serve('', reply))
  app.get<{ Params: { '*': string } }>(`${DASHBOARD_PATH}*`, async (request, reply) => serve(request.params['*'] ?? '', reply))
}
