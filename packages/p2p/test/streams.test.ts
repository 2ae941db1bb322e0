/** Direct stream protocols between real meshes on 127.0.0.1: round trips, backpressure, half close, aborts, refusals. */
import { createHash, randomBytes } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import type { ByteStream } from '@devq/core'
import { generateTeamKey, limits, type StreamHandler, type TeamKey } from '../src/index.ts'
import { closeAll, createPeer, waitFor, type PeerOptions, type TestPeer } from './helpers.ts'

const peers: TestPeer[] = []
afterEach(async () => { await closeAll(peers.splice(0)) })

const MiB = 1024 * 1024

async function peer (key: TeamKey, opts: PeerOptions = {}): Promise<TestPeer> {
  const p = await createPeer(key, opts)
  peers.push(p)
  return p
}

/** A peer that bootstraps to `server`, once connected to it. */
async function clientOf (key: TeamKey, server: TestPeer): Promise<TestPeer> {
  const client = await peer(key, { bootstrap: server.mesh.addresses().slice(0, 1) })
  await waitFor('the client to connect', () => client.mesh.connectedPeers().includes(server.mesh.peerId))
  return client
}

/** A server peer and a client peer connected to it. */
async function pair (): Promise<{ server: TestPeer, client: TestPeer }> {
  const key = generateTeamKey()
  const server = await peer(key)
  return { server, client: await clientOf(key, server) }
}

async function readAll (stream: ByteStream): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream.source) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Settles with the error `promise` rejects with, or fails the test if it resolves. */
async function rejection (promise: Promise<unknown>): Promise<Error & { data?: Record<string, unknown>, retryable?: boolean }> {
  try {
    await promise
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

/** Answers each request with its bytes back, after the client ends its side. */
const echo: StreamHandler = async (stream) => {
  const request = await readAll(stream)
  await stream.write(request)
  await stream.end()
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Samples this process's live memory (heap and array buffers, after a full collection, so garbage
 * not yet collected does not count) every 200 ms; `stop` ends the sampling and returns the largest
 * growth over the first sample, in bytes.
 */
function sampleMemory (): { stop: () => Promise<number> } {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const live = async (): Promise<number> => {
    gc()
    // Array buffers are freed off the main thread after a collection; let that finish.
    await sleep(20)
    gc()
    const m = process.memoryUsage()
    return m.heapUsed + m.arrayBuffers
  }
  let running = true
  const loop = (async () => {
    const baseline = await live()
    let peak = 0
    while (running) {
      await sleep(200)
      peak = Math.max(peak, (await live()) - baseline)
    }
    return peak
  })()
  return { stop: async () => { running = false; return await loop } }
}

describe('direct streams', () => {
  it('answers a request; a handler registered before start is installed at start', async () => {
    const key = generateTeamKey()
    const server = await peer(key, { start: false })
    await server.mesh.handleStream('echo', echo)
    await server.mesh.start()
    const client = await clientOf(key, server)
    const stream = await client.mesh.openStream(server.mesh.peerId, 'echo')
    await stream.write(Buffer.from('hello, '))
    await stream.write(Buffer.from('mesh'))
    await stream.end()
    expect((await readAll(stream)).toString()).toBe('hello, mesh')
    expect(server.mesh.stats().streams.echo).toMatchObject({ served: 1, rateLimited: 0, failed: 0, refused: {}, bytesIn: 11, bytesOut: 11 })
    expect(client.mesh.stats().streams.echo).toMatchObject({ opened: 1, bytesIn: 11, bytesOut: 11 })
  })

  it('carries 64 MiB byte-exact to a slow reader without buffering it: the sender is held back', async () => {
    const { server, client } = await pair()
    const total = 64 * MiB
    let received = 0
    await server.mesh.handleStream('sink', async (stream) => {
      const hash = createHash('sha256')
      for await (const chunk of stream.source) {
        hash.update(chunk)
        received += chunk.byteLength
        await sleep(1)
      }
      await stream.write(Buffer.from(`${received} ${hash.digest('hex')}`))
      await stream.end()
    })
    const sent = createHash('sha256')
    const transfer = async (): Promise<{ receivedWhenSent: number, answer: string }> => {
      const stream = await client.mesh.openStream(server.mesh.peerId, 'sink')
      for (let at = 0; at < total; at += 64 * 1024) {
        const chunk = randomBytes(64 * 1024)
        sent.update(chunk)
        await stream.write(chunk)
      }
      const receivedWhenSent = received
      await stream.end()
      return { receivedWhenSent, answer: (await readAll(stream)).toString() }
    }
    const memory = sampleMemory()
    const { receivedWhenSent, answer } = await transfer().catch(async (err: unknown) => { await memory.stop(); throw err })
    const peak = await memory.stop()
    expect(answer).toBe(`${total} ${sent.digest('hex')}`)
    // Without backpressure the sender is done while the reader is near the start, and the process
    // holds nearly all 64 MiB. Held back, the sender is ahead by at most what the buffers hold: the
    // read queue after a resume (up to a yamux window) and libp2p's paused buffer (another window,
    // whose fragments can keep twice that alive). The sender's own garbage (fresh random chunks) and
    // the collector's timing add noise on top, hence the slack; unbounded it would be near 64 MiB.
    const window = limits.YAMUX_MAX_STREAM_WINDOW
    const high = limits.DIRECT_READ_QUEUE.highBytes
    expect(receivedWhenSent, 'bytes read when the last write resolved').toBeGreaterThan(total - (2 * window + high + 6 * MiB))
    expect(peak, 'peak growth of live memory').toBeLessThan(3 * window + 2 * high + 16 * MiB)
  })

  it('half close: the server reads to the end of the request, then still answers', async () => {
    const { server, client } = await pair()
    const order: string[] = []
    await server.mesh.handleStream('count', async (stream) => {
      const request = await readAll(stream)
      order.push('request ended')
      await stream.write(Buffer.from(`${request.length} bytes`))
      await stream.end()
    })
    const stream = await client.mesh.openStream(server.mesh.peerId, 'count')
    await stream.write(randomBytes(100_000))
    await stream.end()
    expect((await readAll(stream)).toString()).toBe('100000 bytes')
    expect(order).toEqual(['request ended'])
  })

  it('an abort on either side makes the other side\'s read throw; stop aborts open streams', async () => {
    const { server, client } = await pair()
    const held: Array<{ stream: ByteStream, read: Promise<Error> }> = []
    await server.mesh.handleStream('hold', async (stream) => {
      held.push({ stream, read: rejection(readAll(stream)) })
      await new Promise(() => {})
    })
    const open = async (): Promise<ByteStream> => {
      const before = held.length
      const stream = await client.mesh.openStream(server.mesh.peerId, 'hold')
      await stream.write(Buffer.from('x'))
      await waitFor('the server to hold the stream', () => held.length > before)
      return stream
    }

    const first = await open()
    const reason = new Error('client gave up')
    first.abort(reason)
    expect(await rejection(readAll(first))).toBe(reason)
    await expect(first.write(Buffer.from('y'))).rejects.toBe(reason)
    expect(await held[0]?.read).toMatchObject({ name: 'StreamError', data: { detail: 'reset by the peer', peer: client.mesh.peerId } })

    const second = await open()
    held[1]?.stream.abort(new Error('server gave up'))
    expect(await rejection(readAll(second))).toMatchObject({ name: 'StreamError', data: { detail: 'reset by the peer', peer: server.mesh.peerId } })

    const third = await open()
    const reading = rejection(readAll(third))
    await server.mesh.stop()
    expect(await reading).toMatchObject({ name: 'StreamError', data: { peer: server.mesh.peerId } })
    expect(await held[2]?.read).toMatchObject({ name: 'StreamError', data: { detail: 'the mesh stopped' } })
  })

  it('refuses non-members, blocked peers and streams over the rate, counting each', async () => {
    const key = generateTeamKey()
    let outsiderId = ''
    const server = await peer(key, { isMember: (id) => id !== outsiderId })
    const served: string[] = []
    const answer: StreamHandler = async (stream, remote) => { served.push(remote); await stream.write(Buffer.from('ok')); await stream.end() }
    await server.mesh.handleStream('answer', answer, { rate: { burst: 3, perSecond: 0.001 } })
    const outsider = await clientOf(key, server)
    outsiderId = outsider.mesh.peerId
    const member = await clientOf(key, server)
    const open = async (from: TestPeer): Promise<string> => (await readAll(await from.mesh.openStream(server.mesh.peerId, 'answer'))).toString()

    const refused = await rejection(open(outsider))
    expect(refused).toMatchObject({ name: 'StreamError', data: { detail: 'reset by the peer' } })
    expect(server.mesh.stats().streams.answer?.refused).toEqual({ not_member: 1 })

    expect(await open(member)).toBe('ok')
    expect(await open(member)).toBe('ok')
    expect(await open(member)).toBe('ok')
    expect(await rejection(open(member))).toMatchObject({ name: 'StreamError', data: { detail: 'reset by the peer' } })
    expect(server.mesh.stats().streams.answer).toMatchObject({ served: 3, rateLimited: 1 })

    await server.mesh.block([member.mesh.peerId])
    expect(await rejection(open(member))).toMatchObject({ name: 'StreamError', retryable: true, data: { peer: server.mesh.peerId } })
    await member.mesh.block([server.mesh.peerId])
    expect(await rejection(open(member))).toMatchObject({ name: 'StreamError', data: { detail: 'the peer is blocked' } })
    expect(served).toEqual([member.mesh.peerId, member.mesh.peerId, member.mesh.peerId])
    expect(server.mesh.stats().streams.answer).toMatchObject({ served: 3, rateLimited: 1, refused: { not_member: 1 } })
  })

  it('a handler that throws or rejects gets its stream aborted, and the mesh serves the next stream', async () => {
    const { server, client } = await pair()
    let calls = 0
    await server.mesh.handleStream('flaky', (stream, remote) => {
      calls++
      if (calls === 1) throw new Error('handler bug')
      if (calls === 2) return Promise.reject(new Error('handler failed'))
      return echo(stream, remote)
    })
    const ask = async (): Promise<string> => {
      const stream = await client.mesh.openStream(server.mesh.peerId, 'flaky')
      await stream.write(Buffer.from('ping'))
      await stream.end()
      return (await readAll(stream)).toString()
    }
    expect(await rejection(ask())).toMatchObject({ name: 'StreamError' })
    expect(await rejection(ask())).toMatchObject({ name: 'StreamError' })
    expect(await ask()).toBe('ping')
    expect(server.mesh.stats().streams.flaky).toMatchObject({ served: 3, failed: 2 })
  })

  it('fails to open a protocol the peer does not handle, and names it', async () => {
    const { server, client } = await pair()
    const err = await rejection(client.mesh.openStream(server.mesh.peerId, 'missing'))
    expect(err).toMatchObject({
      name: 'StreamError', retryable: true,
      data: { peer: server.mesh.peerId, protocol: '/devq/test-team/missing/1.0.0', detail: 'protocol not supported by the peer' }
    })
    expect(err.message).toContain('/devq/test-team/missing/1.0.0')
  })

  it('refuses bad names, malformed peer ids and use before start or after stop', async () => {
    const key = generateTeamKey()
    const idle = await peer(key, { start: false })
    const other = await peer(key)
    expect(await rejection(idle.mesh.openStream(other.mesh.peerId, 'echo'))).toMatchObject({ name: 'StreamError', data: { detail: 'the mesh is not started' } })
    for (const name of ['Echo', '1echo', 'e'.repeat(33), 'a/b', 'sync', 'peers']) {
      expect(await rejection(other.mesh.handleStream(name, echo))).toMatchObject({ name: 'MeshConfigError' })
    }
    expect(await rejection(other.mesh.handleStream('echo', echo, { maxInbound: 0 }))).toMatchObject({ name: 'MeshConfigError', data: { field: 'maxInbound' } })
    await other.mesh.handleStream('echo', echo)
    expect(await rejection(other.mesh.handleStream('echo', echo))).toMatchObject({ name: 'MeshConfigError', data: { detail: 'already handled' } })
    expect(await rejection(other.mesh.openStream(idle.mesh.peerId, 'Bad name'))).toMatchObject({ name: 'MeshConfigError', data: { field: 'name' } })
    expect(await rejection(other.mesh.openStream('not-a-peer', 'echo'))).toMatchObject({ name: 'StreamError', retryable: false, data: { detail: 'not a peer id' } })
    await other.mesh.stop()
    expect(await rejection(other.mesh.handleStream('late', echo))).toMatchObject({ name: 'MeshStateError' })
    expect(await rejection(other.mesh.openStream(idle.mesh.peerId, 'echo'))).toMatchObject({ name: 'StreamError', data: { detail: 'the mesh is not started' } })
  })
})
