/**
 * The web dashboard a real devq-node serves at `/`, and signing a browser in to it: a one-time code
 * from the token holder, a session cookie for it, and the cookie in place of the token.
 */
import { request } from 'node:http'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, removeDir, startNode, tempDataDir, type NodeProc } from './harness.ts'

const RENDERER = new URL('../../../apps/desktop/dist/renderer/', import.meta.url)
/** An origin the node allows for API calls (--api-allow-origins), which is still not its dashboard. */
const OTHER_ORIGIN = 'http://tools.example:8080'

let node: NodeProc
let token: string
let own: string
const dirs: string[] = []

beforeAll(async () => {
  const dir = await tempDataDir('web')
  dirs.push(dir)
  node = await startNode(dir, ['--slots', '0', '--api-allow-origins', OTHER_ORIGIN])
  token = (await readFile(join(dir, 'api.token'), 'utf8')).trim()
  own = node.api
})
afterAll(async () => {
  await node?.kill()
  await Promise.all(dirs.map(removeDir))
})

/** A request as a browser on the dashboard would send it: no token, and the headers given. */
async function browser (method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> {
  return await fetch(own + path, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
}

/** A new sign-in code, taken with the bearer token as devq open does. */
async function signInCode (): Promise<{ code: string, url: string, expiresInMs: number }> {
  return await node.post('/v1/session/code')
}

/** Trades `code` for a session from the dashboard's own page; returns the answer and the `Cookie` header to send after. */
async function signIn (code: string): Promise<{ res: Response, cookie: string }> {
  const res = await browser('POST', '/v1/session', { origin: own }, { code })
  const set = res.headers.get('set-cookie') ?? ''
  return { res, cookie: set.split(';')[0]! }
}

/** The error answer's `data.detail`. */
async function detailOf (res: Response): Promise<unknown> {
  return ((await res.json()) as { data: { detail: string } }).data.detail
}

/** One GET with a raw Host header, which fetch does not let a caller set. */
async function withHost (path: string, host: string): Promise<{ status: number, body: string }> {
  const url = new URL(own + path)
  return await new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers: { host } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

function expectSecurityHeaders (res: Response): void {
  const csp = res.headers.get('content-security-policy') ?? ''
  expect(csp).toContain("default-src 'self'")
  expect(csp).toContain(`connect-src 'self' ws://${new URL(own).host}`)
  expect(csp).toContain("frame-ancestors 'none'")
  expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  expect(res.headers.get('referrer-policy')).toBe('no-referrer')
}

describe('the dashboard at /', () => {
  it('serves the built index.html at / and /index.html, and its bundle from /assets/, without a token', async () => {
    const built = await readFile(new URL('index.html', RENDERER), 'utf8')
    for (const path of ['/', '/index.html']) {
      const res = await browser('GET', path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('cache-control')).toBe('no-cache')
      expectSecurityHeaders(res)
      expect(await res.text()).toBe(built)
    }
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(built)?.[1]
    expect(script, 'index.html loads a bundle').toBeDefined()
    const asset = await browser('GET', `/${script!}`)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toMatch(/^(text|application)\/javascript/)
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expectSecurityHeaders(asset)
    expect(await asset.text()).toBe(await readFile(new URL(script!, RENDERER), 'utf8'))
    // Browsers ask for it by themselves, before anyone signed in: no error in their console.
    const icon = await browser('GET', '/favicon.ico')
    expect(icon.status).toBeLessThan(300)
    expectSecurityHeaders(icon)
  })

  it('answers 404 for a file that is not in the build and for other paths outside /v1', async () => {
    expect((await browser('GET', '/assets/nope.js')).status).toBe(404)
    // No page but index.html: the dashboard routes by the fragment. Unknown paths are API routes, behind the token.
    for (const path of ['/jobs/abc', '/robots.txt', '/index.htm']) {
      expect((await browser('GET', path)).status, path).toBe(401)
      const res = await browser('GET', path, { authorization: `Bearer ${token}` })
      expect(res.status, path).toBe(404)
      expect(await detailOf(res)).toBe('no route')
    }
  })

  it('serves no directory and nothing outside assets/ through it', async () => {
    // Raw paths: fetch would resolve the dots itself.
    for (const path of ['/assets/', '/assets/../index.html', '/assets/%2e%2e/index.html', '/assets/..%2findex.html', '/assets/.%2e/index.html']) {
      const res = await withHost(path, new URL(own).host)
      expect([403, 404], path).toContain(res.status)
      expect(JSON.parse(res.body), path).toMatchObject({ name: 'ApiRequestError' })
    }
  })

  it('refuses a foreign Host even for / and the bundle (DNS rebinding)', async () => {
    for (const path of ['/', '/assets/x.js', '/index.html']) {
      const res = await withHost(path, `evil.example:${new URL(own).port}`)
      expect(res.status, path).toBe(403)
      expect(JSON.parse(res.body)).toMatchObject({ name: 'ApiRequestError', data: { detail: 'host' } })
    }
  })
})

describe('signing a browser in', () => {
  it('trades a code for an HttpOnly, SameSite=Strict cookie that reads the API and takes an event ticket', async () => {
    const { code, url, expiresInMs } = await signInCode()
    expect(code).toMatch(/^[0-9a-f]{64}$/)
    expect(url).toBe(`${own}/#code=${code}`)
    expect(expiresInMs).toBe(60_000)

    const { res, cookie } = await signIn(code)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ signedIn: true, expiresInMs: 30 * 24 * 3600 * 1000 })
    const set = res.headers.get('set-cookie') ?? ''
    expect(set).toMatch(/^devq_session=[0-9a-f]{64}; /)
    expect(set).toContain('HttpOnly')
    expect(set).toContain('SameSite=Strict')
    expect(set).toContain('Path=/')
    expect(set).toContain('Max-Age=2592000')

    const status = await browser('GET', '/v1/views/status', { cookie })
    expect(status.status).toBe(200)
    expect(((await status.json()) as { peer: { id: string } }).peer.id).toBe(node.peerId)
    expect(await (await browser('GET', '/v1/session', { cookie })).json()).toMatchObject({ signedIn: true })

    const ticket = await browser('POST', '/v1/events/ticket', { cookie, origin: own })
    expect(ticket.status).toBe(201)
    const { ticket: value } = (await ticket.json()) as { ticket: string }
    const ws = new WebSocket(`${own.replace('http:', 'ws:')}/v1/events?ticket=${value}`)
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.addEventListener('message', (e) => { resolve(JSON.parse(String(e.data)) as { type: string }) })
      ws.addEventListener('error', () => { reject(new Error('the event stream did not open')) })
    })
    expect(first.type).toBe('hello')
    ws.close()
  })

  it('takes a code once only, and refuses a wrong one with 401 detail code', async () => {
    const { code } = await signInCode()
    expect((await signIn(code)).res.status).toBe(200)
    const again = await signIn(code)
    expect(again.res.status).toBe(401)
    expect(again.res.headers.get('set-cookie')).toBeNull()
    expect(await detailOf(again.res)).toBe('code')
    const wrong = await signIn('ab'.repeat(32))
    expect(wrong.res.status).toBe(401)
    expect(await detailOf(wrong.res)).toBe('code')
  })

  it('refuses a request with neither cookie nor token, and a cookie it never issued', async () => {
    const none = await browser('GET', '/v1/views/status')
    expect(none.status).toBe(401)
    expect(await detailOf(none)).toBe('unauthorized')
    // Every answer of the API, a refusal too, is read only as its declared type.
    expect(none.headers.get('x-content-type-options')).toBe('nosniff')
    const forged = await browser('GET', '/v1/views/status', { cookie: `devq_session=${'cd'.repeat(32)}` })
    expect(forged.status).toBe(401)
    expect(await (await browser('GET', '/v1/session', { cookie: `devq_session=${'cd'.repeat(32)}` })).json()).toEqual({ signedIn: false })
  })

  it('refuses a change signed in by the cookie without the dashboard\'s own Origin', async () => {
    const { cookie } = await signIn((await signInCode()).code)
    const bare = await browser('POST', '/v1/events/ticket', { cookie })
    expect(bare.status).toBe(403)
    expect(await detailOf(bare)).toBe('origin')
    for (const origin of ['http://evil.example', OTHER_ORIGIN]) {
      const foreign = await browser('POST', '/v1/events/ticket', { cookie, origin })
      expect(foreign.status, origin).toBe(403)
      expect(await detailOf(foreign)).toBe('origin')
    }
    // The token from an allowed origin still works: the rule is the cookie's.
    expect((await browser('POST', '/v1/events/ticket', { authorization: `Bearer ${token}`, origin: OTHER_ORIGIN })).status).toBe(201)
  })

  it('signs in only from the dashboard\'s own page, not from another allowed origin', async () => {
    const { code } = await signInCode()
    const other = await browser('POST', '/v1/session', { origin: OTHER_ORIGIN }, { code })
    expect(other.status).toBe(403)
    expect(await detailOf(other)).toBe('origin')
    // Refused before the code was looked at: it still signs in from the right page.
    expect((await signIn(code)).res.status).toBe(200)
  })

  it('does not let a cookie mint a sign-in code', async () => {
    const { cookie } = await signIn((await signInCode()).code)
    const res = await browser('POST', '/v1/session/code', { cookie, origin: own })
    expect(res.status).toBe(401)
    expect(await detailOf(res)).toBe('unauthorized')
  })

  it('signs out with DELETE /v1/session: the cookie no longer reads anything', async () => {
    const { cookie } = await signIn((await signInCode()).code)
    const out = await browser('DELETE', '/v1/session', { cookie, origin: own })
    expect(out.status).toBe(200)
    expect(await out.json()).toEqual({ signedIn: false })
    expect(out.headers.get('set-cookie')).toMatch(/^devq_session=; Max-Age=0; /)
    expect((await browser('GET', '/v1/views/status', { cookie })).status).toBe(401)
    expect(await (await browser('GET', '/v1/session', { cookie })).json()).toEqual({ signedIn: false })
  })
})

describe('devq open', () => {
  it('prints a sign-in URL whose code signs a browser in (--print --json)', async () => {
    const out = JSON.parse(await cli(['open', '--print', '--json', '--data-dir', node.dataDir])) as { url: string, expiresInMs: number, opened: boolean }
    expect(out).toEqual({ url: expect.stringMatching(new RegExp(`^${own}/#code=[0-9a-f]{64}$`)), expiresInMs: 60_000, opened: false })
    const code = new URL(out.url).hash.slice('#code='.length)
    expect((await signIn(code)).res.status).toBe(200)
  })

  it('prints only the URL with --print', async () => {
    expect(await cli(['open', '--print', '--data-dir', node.dataDir])).toMatch(new RegExp(`^${own}/#code=[0-9a-f]{64}\n$`))
  })
})

describe('a node without a built dashboard', () => {
  it('answers / with a 404 page naming the command that builds it, and serves the API as before', async () => {
    const dir = await tempDataDir('web-unbuilt')
    dirs.push(dir)
    const empty = join(dir, 'no-dashboard')
    await mkdir(empty)
    await writeFile(join(empty, 'README'), 'not a build\n')
    const bare = await startNode(dir, ['--slots', '0'], { DEVQ_DASHBOARD_DIR: empty })
    try {
      const res = await fetch(`${bare.api}/`)
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await res.text()).toContain('npx vite build --config apps/desktop/vite.config.ts')
      expect((await bare.get<{ peer: { id: string } }>('/v1/status')).peer.id).toBe(bare.peerId)
    } finally {
      await bare.kill()
    }
  })
})
