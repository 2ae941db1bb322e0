/** The control API's unix socket: its mode, who it lets in, stale and live sockets at start. */
import { createServer } from 'node:http'
import { lstat, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { apiSocketPath, connectApi } from '../src/index.ts'
import { listenOnSocket, probeSocket } from '../src/api-socket.ts'
import { removeDir, startNode, tempDataDir, type NodeProc } from './harness.ts'
import { socketRequest } from './unix-socket.ts'

const dirs: string[] = []
const nodes: NodeProc[] = []
afterAll(async () => {
  await Promise.all(nodes.map(async (n) => { await n.kill() }))
  await Promise.all(dirs.map(removeDir))
})

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'devq-sock-'))
  dirs.push(dir)
  return dir
}

describe('listening on the socket', () => {
  it('makes it 0600 whatever the umask, and replaces a stale one but never a live one', async () => {
    const dir = await tempDir()
    const path = join(dir, 'api.sock')
    const old = process.umask(0)
    let first
    try {
      first = await listenOnSocket(createServer(), path)
    } finally {
      process.umask(old)
    }
    expect(((await lstat(path)).mode & 0o777).toString(8)).toBe('600')
    const live = await listenOnSocket(createServer(), path).catch((err: unknown) => err)
    expect(live).toMatchObject({ name: 'ApiSocketError', data: { reason: 'in_use' } })
    await first.close()
    await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' })
    // A server that went away without cleaning up (as a crash does) leaves its socket file.
    const crashed = createServer()
    await listenOnSocket(crashed, path)
    await new Promise((resolve) => crashed.close(resolve))
    expect(await probeSocket(path)).toBe('refused')
    const next = await listenOnSocket(createServer(), path)
    expect(await probeSocket(path)).toBe('answers')
    await next.close()
  })

  it('refuses a path held by a file that is not a socket', async () => {
    const path = join(await tempDir(), 'api.sock')
    await writeFile(path, 'mine')
    await expect(listenOnSocket(createServer(), path)).rejects.toMatchObject({ name: 'ApiSocketError', data: { reason: 'not_socket' } })
  })
})

describe('a node\'s socket', () => {
  it('is 0600 and answers without a token, while TCP without one is 401; the client prefers it', async () => {
    const dir = await tempDataDir('sock')
    dirs.push(dir)
    const node = await startNode(dir, ['--slots', '0'])
    nodes.push(node)
    const info = await lstat(apiSocketPath(dir))
    expect(info.isSocket()).toBe(true)
    expect((info.mode & 0o777).toString(8)).toBe('600')
    const status = await socketRequest(dir, 'GET', '/v1/status')
    expect(status.status).toBe(200)
    expect(JSON.parse(status.body)).toMatchObject({ peer: { id: node.peerId } })
    // The socket skips the Host and Origin checks as well: a browser cannot reach it.
    expect((await socketRequest(dir, 'POST', '/v1/jobs/synthetic', { durationMs: 1 })).status).toBe(201)
    expect((await fetch(`${node.api}/v1/status`)).status).toBe(401)
    const client = await connectApi(dir)
    expect(client.via).toBe(apiSocketPath(dir))
    expect(await client.get('/v1/status')).toMatchObject({ peer: { id: node.peerId } })
  })

  it('is left behind by a crash, replaced at the next start and removed by a clean stop', async () => {
    const dir = await tempDataDir('sock-crash')
    dirs.push(dir)
    await (await startNode(dir, ['--slots', '0'])).kill()
    expect(await probeSocket(apiSocketPath(dir))).toBe('refused')
    const again = await startNode(dir, ['--slots', '0'])
    expect((await socketRequest(dir, 'GET', '/v1/status')).status).toBe(200)
    await again.stop()
    expect(await probeSocket(apiSocketPath(dir))).toBe('missing')
  })
})
