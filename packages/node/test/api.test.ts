/** The control API of one real devq-node process, through its own client and raw HTTP on 127.0.0.1. */
import { request } from 'node:http'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiRequestError, connectApi, RunError, type ApiClient } from '../src/index.ts'
import { cli, removeDir, startNode, tempDataDir, waitFor, type JobView, type NodeProc } from './harness.ts'

let node: NodeProc
let client: ApiClient
const dirs: string[] = []
beforeAll(async () => {
  const dir = await tempDataDir('api')
  dirs.push(dir)
  node = await startNode(dir, ['--slots', '1'])
  client = await connectApi(dir)
})
afterAll(async () => {
  await node?.kill()
  await Promise.all(dirs.map(removeDir))
})

interface Answer { status: number, body: { name?: string, code?: string, message?: string, data?: Record<string, unknown> } }

/**
 * One HTTP request to a node's API (default: the shared one) with its token; `headers` may set Host
 * and Origin as a browser would.
 */
async function http (method: string, path: string, opts: { body?: unknown, headers?: Record<string, string>, to?: NodeProc } = {}): Promise<Answer> {
  const to = opts.to ?? node
  const token = (await readFile(join(to.dataDir, 'api.token'), 'utf8')).trim()
  const url = new URL(to.api + path)
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body)
  return await new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method,
      headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers }
    }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }) })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** What a promise rejected with (fails the test if it resolved). */
async function rejection (p: Promise<unknown>): Promise<Error> {
  return await p.then(() => { throw new Error('expected a rejection') }, (err: unknown) => err as Error)
}

describe('the API client', () => {
  it('rethrows the node\'s error as its own class, with name, code and data', async () => {
    const plain = await tempDataDir('not-a-repo')
    dirs.push(plain)
    const err = await rejection(client.post('/v1/runs', { dir: plain }))
    expect(err).toBeInstanceOf(RunError)
    expect(err).toMatchObject({ name: 'RunError', code: 'RunError', retryable: false, data: { reason: 'not_a_repository' } })
    expect(err.message).toMatch(/is not in a git repository/)
    expect((err as RunError).cause).toMatchObject({ name: 'ApiRequestError', data: { status: 400, detail: 'POST /v1/runs' } })
  })

  it('keeps the server\'s data of a refused request, for calls and raw reads alike', async () => {
    const unknown = 'a'.repeat(64)
    for (const call of [client.get(`/v1/jobs/${unknown}`), client.raw(`/v1/jobs/${unknown}/log`)]) {
      const err = await rejection(call)
      expect(err).toBeInstanceOf(ApiRequestError)
      expect(err).toMatchObject({ name: 'ApiRequestError', data: { status: 404, detail: 'unknown job' } })
    }
  })
})

describe('labels', () => {
  it('a label the ledger would refuse is a 400 naming the field, from the API and the CLI alike', async () => {
    for (const label of ['has space', 'ü', 'x'.repeat(65), '']) {
      const res = await http('POST', '/v1/jobs/synthetic', { body: { durationMs: 1, labels: ['linux', label] } })
      expect(res.status, label).toBe(400)
      expect(res.body).toMatchObject({ name: 'ApiRequestError', data: { status: 400, detail: 'body', field: 'labels.1' } })
      expect(res.body.message).toMatch(/labels\[1\]/)
    }
    const err = await rejection(cli(['submit', '--synthetic', '--labels', 'linux,bad label', '--data-dir', node.dataDir]))
    expect(err.message).toMatch(/labels\[1\]/)
    expect(err.message).not.toMatch(/EventEncodeError|internal/i)
    expect((await http('GET', '/v1/status')).body).toMatchObject({ counts: {} })
  })
})

describe('unexpected errors', () => {
  it('a 500 says only "internal error" and a request id; the node\'s log has the cause under that id', async () => {
    const { id } = await node.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 1 })
    await waitFor('the synthetic job to succeed', async () => (await node.get<JobView>(`/v1/jobs/${id}`)).status === 'succeeded', 30_000)
    // Writing the artifacts under a regular file fails deep inside the pull with ENOTDIR and the path.
    const file = join(dirs[0]!, 'a-file')
    await writeFile(file, 'x')
    const res = await http('POST', '/v1/pull', { body: { job: id, out: join(file, 'out') } })
    expect(res.status).toBe(500)
    expect(res.body).toMatchObject({ name: 'ApiInternalError', code: 'ApiInternalError', data: { requestId: expect.stringMatching(/^[0-9a-f]{16}$/) } })
    const requestId = res.body.data!.requestId as string
    expect(res.body.message).toContain(requestId)
    expect(JSON.stringify(res.body)).not.toMatch(/ENOTDIR|a-file|mkdir|stack/)
    const line = await waitFor('the error in the node\'s log', async () => node.log().split('\n').find((l) => l.includes(requestId)))
    expect(line).toMatch(/ENOTDIR/)
    expect(line).toMatch(/control API request failed/)
  })
})

describe('Host and Origin (DNS rebinding)', () => {
  const port = (n: NodeProc): number => Number(new URL(n.api).port)
  const status = async (headers: Record<string, string>, to?: NodeProc): Promise<Answer> => await http('GET', '/v1/status', { headers, ...(to === undefined ? {} : { to }) })

  it('answers only loopback names with the API\'s port; any other Host is a 403 that says why, token or not', async () => {
    const p = port(node)
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LocalHost:${p}`, `[::1]:${p}`]) expect((await status({ host })).status, host).toBe(200)
    expect(await cli(['status', '--data-dir', node.dataDir])).toMatch(/^peer /)
    for (const host of [`evil.example:${p}`, 'evil.example', `127.0.0.1:${p + 1}`, `127.0.0.1.evil.example:${p}`, 'localhost', `localhost:${p}@evil.example`]) {
      const res = await status({ host })
      expect(res.status, host).toBe(403)
      expect(res.body, host).toMatchObject({ name: 'ApiRequestError', data: { status: 403, detail: 'host' } })
      expect(res.body.message).toMatch(/--api-allow-hosts/)
    }
    expect((await status({ host: `evil.example:${p}`, authorization: 'Bearer wrong' })).status).toBe(403)
  })

  it('answers a browser on the node\'s own origin; any other origin is a 403, for reads and writes', async () => {
    const p = port(node)
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`]) expect((await status({ host, origin: `http://${host}` })).status, host).toBe(200)
    const own = await http('POST', '/v1/jobs/synthetic', { body: { durationMs: 1 }, headers: { host: `localhost:${p}`, origin: `http://localhost:${p}` } })
    expect(own.status).toBe(201)
    for (const origin of ['http://evil.example', `http://evil.example:${p}`, 'null', `https://127.0.0.1:${p}`, `http://localhost:${p}`]) {
      const res = await status({ host: `127.0.0.1:${p}`, origin })
      expect(res.status, origin).toBe(403)
      expect(res.body, origin).toMatchObject({ name: 'ApiRequestError', data: { status: 403, detail: 'origin' } })
      expect(res.body.message).toMatch(/--api-allow-origins/)
    }
    const before = (await http('GET', '/v1/jobs')).body as unknown as unknown[]
    const posted = await http('POST', '/v1/jobs/synthetic', { body: { durationMs: 1 }, headers: { origin: 'http://evil.example' } })
    expect(posted.status).toBe(403)
    expect(((await http('GET', '/v1/jobs')).body as unknown as unknown[]).length).toBe(before.length)
  })

  it('answers the hosts and origins the config allows, and only those', async () => {
    const dir = await tempDataDir('api-allow')
    dirs.push(dir)
    const other = await startNode(dir, ['--api-allow-hosts', 'devq.lan,Proxy.lan:8080', '--api-allow-origins', 'https://dash.lan:8443'])
    try {
      const p = port(other)
      for (const host of [`devq.lan:${p}`, 'devq.lan', 'proxy.lan:8080', `localhost:${p}`]) expect((await status({ host }, other)).status, host).toBe(200)
      for (const host of [`devq.lan:${p + 1}`, `proxy.lan:${p}`, 'proxy.lan', `evil.example:${p}`]) expect((await status({ host }, other)).status, host).toBe(403)
      expect((await status({ host: 'devq.lan', origin: 'https://dash.lan:8443' }, other)).status).toBe(200)
      expect((await status({ host: 'devq.lan', origin: 'http://devq.lan' }, other)).status).toBe(200)
      expect((await status({ host: 'devq.lan', origin: 'https://dash.lan' }, other)).status).toBe(403)
    } finally {
      await other.kill()
    }
  })
})

describe('test routes', () => {
  it('are served only with --test-hooks: an inherited DEVQ_TEST_HOOKS=1 opens nothing', async () => {
    const dir = await tempDataDir('api-hooks')
    dirs.push(dir)
    const inherited = await startNode(dir, [], { DEVQ_TEST_HOOKS: '1' })
    try {
      const res = await http('POST', '/v1/test/unblock', { to: inherited })
      expect(res.status).toBe(404)
      expect(res.body).toMatchObject({ name: 'ApiRequestError', data: { status: 404, detail: 'no route' } })
    } finally {
      await inherited.stop()
    }
    const flagged = await startNode(dir, ['--test-hooks'])
    try {
      expect(await http('POST', '/v1/test/unblock', { to: flagged })).toMatchObject({ status: 200, body: { connected: [] } })
    } finally {
      await flagged.kill()
    }
  })
})
