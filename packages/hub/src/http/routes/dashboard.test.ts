import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { dashboardRoutes, resolveDashboardFile } from './dashboard.js'

async function appFor(dir: string) {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } })
  dashboardRoutes(app, { dir })
  await app.ready()
  return app
}

test('without a build, /dashboard/ says how to build it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-dash-'))
  try {
    const app = await appFor(join(dir, 'missing'))
    const r = await app.inject('/dashboard/')
    assert.equal(r.statusCode, 503)
    assert.match(r.headers['content-type'] as string, /text\/html/)
    assert.match(r.body, /npm run build -w @ledge\/dashboard/)
    await app.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('serves the build: index without caching, hashed assets forever, nothing outside the folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-dash-'))
  try {
    const site = join(dir, 'site')
    await mkdir(join(site, 'assets'), { recursive: true })
    await writeFile(join(site, 'index.html'), '<!doctype html><title>x</title>')
    await writeFile(join(site, 'assets', 'index-abc.js'), 'console.log(1)')
    await writeFile(join(dir, 'secret.txt'), 'no')
    const app = await appFor(site)
    for (const path of ['/dashboard', '/dashboard/']) {
      const r = await app.inject(path)
      assert.equal(r.statusCode, 200, path)
      assert.equal(r.headers['cache-control'], 'no-cache')
      assert.match(r.headers['content-security-policy'] as string, /default-src 'self'/)
      assert.match(r.body, /<title>x/)
    }
    const js = await app.inject('/dashboard/assets/index-abc.js')
    assert.equal(js.statusCode, 200)
    assert.match(js.headers['content-type'] as string, /text\/javascript/)
    assert.match(js.headers['cache-control'] as string, /immutable/)
    assert.equal((await app.inject('/dashboard/nope.js')).statusCode, 404)
    assert.notEqual((await app.inject('/dashboard/..%2fsecret.txt')).statusCode, 200)
    assert.notEqual((await app.inject('/dashboard/%2e%2e/secret.txt')).statusCode, 200)
    await app.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('resolveDashboardFile refuses .. and NUL, and keeps inside the root', () => {
  assert.equal(resolveDashboardFile('/srv/d', 'assets/a.js'), '/srv/d/assets/a.js')
  assert.equal(resolveDashboardFile('/srv/d', '../x'), undefined)
  assert.equal(resolveDashboardFile('/srv/d', '..%2fx'), undefined)
  assert.equal(resolveDashboardFile('/srv/d', 'a%00b'), undefined)
  assert.equal(resolveDashboardFile('/srv/d', '%E0%A4%A'), undefined)
})
