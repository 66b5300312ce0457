/**
 * Builds the dashboard into dist/, served by the hub under /dashboard/ (asset paths are absolute under that base).
 * `npm run dev -w @ledge/dashboard` with LEDGE_HUB_URL=https://<hub> serves it with hot reload and forwards the REST
 * paths to that hub, so the page stays same-origin as it is when the hub serves it.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const hub = process.env.LEDGE_HUB_URL
const API_PATHS = ['/devices', '/twins', '/events', '/statistics', '/configurations']

export default defineConfig({
  base: '/dashboard/',
  root: fileURLToPath(new URL('./src', import.meta.url)),
  publicDir: false,
  // Preact's automatic JSX runtime, without a plugin (Vite's own transform does it).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: hub ? { proxy: Object.fromEntries(API_PATHS.map((p) => [p, { target: hub, changeOrigin: true, secure: false }])) } : {},
})
