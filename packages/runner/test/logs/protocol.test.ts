import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, type ByteStream } from '@devq/core'
import { createLogStore, type LogStore } from '../../src/logs/store.ts'
import { createLogServer, fetchLog } from '../../src/logs/protocol.ts'
import { encodeFrame, FrameReader } from '../../src/wire.ts'
import { z } from 'zod'
import { streamServer } from '../streams.ts'

const JOB = 'c0ffee'.padEnd(64, '0')
const OTHER = 'beef'.padEnd(64, '1')

let dir: string
let store: LogStore
let servers: Array<{ close: () => Promise<void> }>
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'devq-logs-proto-'))
  store = createLogStore({ dir })
  servers = []
})
afterEach(async () => {
  for (const s of servers) await s.close()
  await rm(dir, { recursive: true, force: true })
})

/** A `logs` server on loopback; the connecting peer is `peer`. `finished` counts handler runs that returned. */
async function serve (peer: string, mayRead: (peer: string, job: string) => boolean | string = () => true): Promise<{ dial: () => Promise<ByteStream>, finished: () => number, next: () => Promise<void> }> {
  const handler = createLogServer({ store, mayRead, logger: silentLogger })
  let finished = 0
  let wake = (): void => {}
  const server = await streamServer(async (stream) => {
    await handler(stream, peer)
    finished++
    wake()
  })
  servers.push(server)
  return {
    dial: server.dial,
    finished: () => finished,
    next: () => new Promise<void>((resolve) => { wake = resolve })
  }
}

async function closedLog (attempt: number, body: Buffer): Promise<void> {
  const writer = await store.open(JOB, attempt)
  await writer.write(body)
  await writer.close()
}

describe('logs protocol over loopback sockets', () => {
  it('follows a live log from another peer until the writer closes', async () => {
    const { dial } = await serve('peer-b', (peer) => peer === 'peer-b')
    const writer = await store.open(JOB, 1)
    await writer.write(Buffer.from('step 1\n'))
    const got: Buffer[] = []
    let onFirst = (): void => {}
    const first = new Promise<void>((resolve) => { onFirst = resolve })
    const fetching = fetchLog({ dial, job: JOB, attempt: 1, follow: true, onChunk: (c) => { got.push(Buffer.from(c)); onFirst() } })
    await first
    for (let i = 2; i <= 200; i++) await writer.write(Buffer.from(`step ${i}\n`.repeat(i)))
    await writer.close()
    const result = await fetching
    const stored = Buffer.concat(await (async () => { const parts: Uint8Array[] = []; for await (const c of store.read(JOB, 1)) parts.push(c); return parts })())
    expect(Buffer.concat(got).equals(stored)).toBe(true)
    expect(result).toEqual({ bytes: stored.length, closed: true })
  })

  it('refuses a peer with the reason, and answers not_found for a missing log', async () => {
    await closedLog(1, Buffer.from('secret build\n'))
    const { dial } = await serve('peer-x', (_peer, job) => job === OTHER || 'peer-x is not a member of this team')
    const chunks: Uint8Array[] = []
    const err = await fetchLog({ dial, job: JOB, attempt: 1, onChunk: (c) => { chunks.push(c) } }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'RemoteError', data: { remote: { name: 'LogError', data: { reason: 'refused', detail: 'peer-x is not a member of this team' } } } })
    expect(chunks).toEqual([])
    const missing = await fetchLog({ dial, job: OTHER, attempt: 1, onChunk: () => {} }).catch((e: unknown) => e)
    expect(missing).toMatchObject({ name: 'RemoteError', data: { remote: { name: 'LogError', data: { reason: 'not_found' } } } })
  })

  it('resumes from an offset, after the job and during a follow that was stopped', async () => {
    const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''))
    await closedLog(1, body)
    const { dial } = await serve('peer-b')
    const tail: Buffer[] = []
    expect(await fetchLog({ dial, job: JOB, attempt: 1, from: 1234, onChunk: (c) => { tail.push(Buffer.from(c)) } })).toEqual({ bytes: body.length - 1234, closed: true })
    expect(Buffer.concat(tail).equals(body.subarray(1234))).toBe(true)

    const writer = await store.open(JOB, 2)
    await writer.write(body.subarray(0, 3000))
    const stop = new AbortController()
    const got: Buffer[] = []
    const firstPart = await fetchLog({ dial, job: JOB, attempt: 2, follow: true, signal: stop.signal, onChunk: (c) => { got.push(Buffer.from(c)); if (Buffer.concat(got).length >= 3000) stop.abort() } })
    expect(firstPart.closed).toBe(false)
    await writer.write(body.subarray(3000))
    const resumed = fetchLog({ dial, job: JOB, attempt: 2, from: firstPart.bytes, follow: true, onChunk: (c) => { got.push(Buffer.from(c)) } })
    await writer.close()
    expect((await resumed).bytes).toBe(body.length - firstPart.bytes)
    expect(Buffer.concat(got).equals(body)).toBe(true)
  })

  it('stops serving a follow when the client goes away, while the writer goes on', async () => {
    const { dial, finished, next } = await serve('peer-b')
    const writer = await store.open(JOB, 1)
    await writer.write(Buffer.from('waiting for output\n'))
    const stop = new AbortController()
    const handlerDone = next()
    await fetchLog({ dial, job: JOB, attempt: 1, follow: true, signal: stop.signal, onChunk: () => { stop.abort() } })
    await handlerDone
    expect(finished()).toBe(1)
    expect((await store.info(JOB, 1)).closed).toBe(false)
    await writer.close()
  })

  it('answers a malformed request with a ProtocolError and serves nothing', async () => {
    await closedLog(1, Buffer.from('x\n'))
    const { dial } = await serve('peer-b')
    const stream = await dial()
    await stream.write(encodeFrame({ job: '../../etc/passwd', attempt: 1, from: 0, follow: false }))
    const err = await new FrameReader(stream.source, 'logs').answer(z.object({ ok: z.literal(true) })).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'RemoteError', data: { remote: { name: 'ProtocolError' } } })
    stream.abort(new Error('done'))
  })
})
