/** The control API of one real devq-node process, through its own client and raw HTTP on 127.0.0.1. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiRequestError, connectApi, RunError, type ApiClient } from '../src/index.ts'
import { removeDir, startNode, tempDataDir, type NodeProc } from './harness.ts'

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
