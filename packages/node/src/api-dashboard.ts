/**
 * The web dashboard (apps/desktop's renderer, built by Vite) served on the API's own origin, so
 * its requests are same-origin and its session cookie can be SameSite=Strict. Only the built files
 * are served: index.html at `/` and `/index.html`, the bundles at `/assets/*`, and `/favicon.ico`
 * (which browsers ask for by themselves). The renderer routes
 * by the URL's fragment (`/#/jobs/<id>`), so no other path is a page. The files are public code:
 * they need no credential, but the guard's Host check applies to them as to every route (DNS
 * rebinding).
 */
import { readFile, stat } from 'node:fs/promises'
import { statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import fastifyStatic from '@fastify/static'
import type { Logger } from '@devq/core'
import { ConfigError } from './errors.ts'

/**
 * Where the built dashboard is by default: apps/desktop/dist/renderer at the top of the tree this
 * package's source sits in (a checkout, or an installed release, which carries it at that place).
 */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../apps/desktop/dist/renderer/', import.meta.url))

/** The command that builds the dashboard (in a DevQ checkout), as the page for a missing build names it. */
export const DASHBOARD_BUILD_COMMAND = 'npx vite build --config apps/desktop/vite.config.ts'

/** Largest index.html or favicon served, in bytes (Vite's index.html is under 1 KiB). */
const MAX_PAGE_BYTES = 1024 * 1024
/** Cache lifetime of the bundles, in ms: their names carry their content hash, so they never change. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000
/** A Host value safe to put into the CSP (the guard has checked it names this API over TCP). */
const CSP_HOST = /^[a-z0-9.[\]:-]{1,262}$/

/** Path parameter of `GET /assets/*`, for the route table (@fastify/static checks the path itself). */
export const DashboardAssetParams = z.strictObject({ path: z.string().describe('the file\'s path under assets/') })

/** The security headers of every dashboard answer; `host` is the request's Host (lower case). */
export function dashboardHeaders (host: string): Record<string, string> {
  const ws = CSP_HOST.test(host) ? ` ws://${host}` : ''
  return {
    'content-security-policy': `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'${ws}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin'
  }
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>DevQ: the dashboard is not built</title></head>
<body>
<h1>The DevQ dashboard is not built</h1>
<p>This node serves the dashboard from its build, and there is none where it looks. In a DevQ checkout, build it with</p>
<pre>${DASHBOARD_BUILD_COMMAND}</pre>
<p>(<code>npm start</code> builds it when it is missing or stale), then reload this page. Or start devq-node with
<code>--dashboard-dir &lt;dir&gt;</code> naming a built dashboard. The control API under <code>/v1/</code> works without it.</p>
</body>
</html>
`

/** What the dashboard routes need. */
export interface DashboardInit {
  /** The built dashboard (index.html and assets/); relative to the working directory. */
  dir: string
  logger: Logger
}

/** The bytes of a regular file up to MAX_PAGE_BYTES, or undefined when there is none. */
async function readPage (file: string): Promise<Buffer | undefined> {
  const found = await stat(file).catch(() => undefined)
  return found?.isFile() === true && found.size <= MAX_PAGE_BYTES ? await readFile(file).catch(() => undefined) : undefined
}

/** index.html, read per request so a rebuild shows at the next load; the page above when there is none. */
function serveIndex (dir: string) {
  return async (_req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const html = await readPage(join(dir, 'index.html'))
    void reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8')
    return await (html === undefined ? reply.code(404).send(NOT_BUILT_PAGE) : reply.send(html))
  }
}

/** The build's favicon.ico, else 204: browsers ask for it unprompted, and a refusal shows as an error in their console. */
function serveFavicon (dir: string) {
  return async (_req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const icon = await readPage(join(dir, 'favicon.ico'))
    void reply.header('cache-control', 'no-cache')
    return await (icon === undefined ? reply.code(204).send() : reply.type('image/x-icon').send(icon))
  }
}

/**
 * The dashboard's directory `given`, absolute. Throws ConfigError when it names something that is
 * not a directory; one that does not exist (yet) is fine: `/` then says how to build it.
 */
export function resolveDashboardDir (given: string): string {
  const dir = resolve(given)
  const st = statSync(dir, { throwIfNoEntry: false })
  if (st !== undefined && !st.isDirectory()) {
    throw new ConfigError(`the dashboard directory ${dir} is not a directory (set by --dashboard-dir, DEVQ_DASHBOARD_DIR or dashboard-dir in the config file)`, { source: 'dashboard-dir', key: 'dashboard-dir', detail: 'not a directory' })
  }
  return dir
}

/**
 * Registers `/`, `/index.html`, `/favicon.ico` and `/assets/*` in a scope of their own: every route there needs no
 * credential and every answer carries the security headers. Registered, not awaited: the scope
 * loads when the app gets ready, after the guard's hooks, which it inherits.
 */
export function dashboardRoutes (app: FastifyInstance, init: DashboardInit): void {
  const dir = resolveDashboardDir(init.dir)
  if (statSync(join(dir, 'index.html'), { throwIfNoEntry: false }) === undefined) {
    init.logger.info({ dir }, `the dashboard is not built there, so / answers a page saying how to build it (${DASHBOARD_BUILD_COMMAND})`)
  }
  void app.register(async (scope) => {
    scope.addHook('onRoute', (route) => { route.config = { ...route.config, auth: 'none' } })
    // On request, so a 404 further on (an asset that is not there) carries them too.
    scope.addHook('onRequest', async (req, reply) => { void reply.headers(dashboardHeaders(req.headers.host?.toLowerCase() ?? '')) })
    await scope.register(fastifyStatic, {
      root: join(dir, 'assets'), prefix: '/assets/', decorateReply: false, index: false, dotfiles: 'ignore', suppressWarning: true,
      maxAge: ASSET_MAX_AGE_MS, immutable: true
    })
    scope.get('/', serveIndex(dir))
    scope.get('/index.html', serveIndex(dir))
    scope.get('/favicon.ico', serveFavicon(dir))
  })
}
