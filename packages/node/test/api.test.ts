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

/** One HTTP request to the node's API with its token; `headers` may set Host and Origin as a browser would. */
async function http (method: string, path: string, opts: { body?: unknown, headers?: Record<string, string> } = {}): Promise<Answer> {
  const token = (await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim()
  const url = new URL(node.api + path)
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
