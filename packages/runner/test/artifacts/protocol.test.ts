import { randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { silentLogger, type ArtifactRef, type ByteStream } from '@devq/core'
import { exportArtifact } from '../../src/artifacts/export.ts'
import { createArtifactServer, fetchArtifact, fetchFromAny, probeArtifact } from '../../src/artifacts/protocol.ts'
import { FrameReader, writeFrame } from '../../src/wire.ts'
import { streamServer } from '../streams.ts'
import { rejection, sha256, storeFiles, tempDir, tempStore } from './support.ts'

const servers: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function serve (handler: (stream: ByteStream) => Promise<void>): Promise<() => Promise<ByteStream>> {
  const server = await streamServer(handler)
  servers.push(server)
  return server.dial
}

/** A real artifact server over a store holding `bytes`, seen as peer `peer`. */
async function honestSource (bytes: Buffer, peer = 'member-1'): Promise<{ dial: () => Promise<ByteStream>, ref: ArtifactRef }> {
  const { store } = await tempStore()
  const { digest, size } = await store.putStream((async function * () { yield bytes })())
  const handler = createArtifactServer({ store, logger: silentLogger, authorize: (p) => p.startsWith('member') ? true : `${p} is not a member of the team` })
  return { dial: await serve(async (s) => { await handler(s, peer) }), ref: { name: 'app', kind: 'binary', digest, size } }
}

/** A hostile or broken source: reads the request, then answers `size` and sends `send`, then `after`. */
async function badSource (size: number, send: Buffer, after: 'end' | 'stall'): Promise<() => Promise<ByteStream>> {
  return await serve(async (stream) => {
    const reader = new FrameReader(stream.source, 'artifacts')
    await reader.frame(z.object({ digest: z.string() }))
    await writeFrame(stream, { ok: true, size })
    await stream.write(send)
    if (after === 'end') {
      await stream.end()
      return
    }
    // Stall: hold the stream open until the fetcher gives up and closes it.
    for await (const _ of reader.rest()) { /* drain */ }
  })
}

async function fetchRefused (dial: () => Promise<ByteStream>, ref: ArtifactRef, idleMs = 20_000): Promise<{ data: Record<string, unknown>, message: string }> {
  const { store, dir } = await tempStore()
  const err = await rejection(fetchArtifact({ dial, ref, store, idleMs }))
  expect(err.name).toBe('ArtifactError')
  expect(await storeFiles(dir)).toEqual({ blobs: [], ingest: [] })
  expect(await store.has(ref.digest)).toBe(false)
  return { data: err.data!, message: err.message }
}

describe('the artifacts protocol over real sockets', () => {
  it('fetches, verifies and stores a blob, and does not fetch one already held', async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 3)
    const { dial, ref } = await honestSource(bytes)
    const { store } = await tempStore()
    const first = await fetchArtifact({ dial, ref, store })
    expect(first.bytes).toBe(bytes.length)
    expect((await readFile(store.path(ref.digest))).equals(bytes)).toBe(true)
    let dials = 0
    const again = await fetchArtifact({ dial: async () => { dials++; return await dial() }, ref, store })
    expect(again.bytes).toBe(0)
    expect(dials).toBe(0)
  })

  it('refuses wrong bytes of the right size', async () => {
    const bytes = randomBytes(50_000)
    const ref: ArtifactRef = { name: 'app', kind: 'binary', digest: sha256(bytes), size: bytes.length }
    const { data } = await fetchRefused(await badSource(bytes.length, randomBytes(bytes.length), 'end'), ref)
    expect(data).toMatchObject({ artifact: 'app', reason: 'digest_mismatch' })
  })

  it('refuses too many bytes and too few (a truncated transfer)', async () => {
    const bytes = randomBytes(50_000)
    const ref: ArtifactRef = { name: 'app', kind: 'binary', digest: sha256(bytes), size: bytes.length }
    const more = await fetchRefused(await badSource(bytes.length, Buffer.concat([bytes, randomBytes(10)]), 'end'), ref)
    expect(more.data).toMatchObject({ reason: 'size_mismatch' })
    const fewer = await fetchRefused(await badSource(bytes.length, bytes.subarray(0, 40_000), 'end'), ref)
    expect(fewer.data).toMatchObject({ reason: 'size_mismatch' })
    expect(fewer.message).toMatch(/40000 bytes/)
    const offered = await fetchRefused(await badSource(bytes.length + 5, bytes, 'end'), ref)
    expect(offered.data).toMatchObject({ reason: 'size_mismatch' })
  })

  it('gives up on a source that stalls mid-transfer', async () => {
    const bytes = randomBytes(50_000)
    const ref: ArtifactRef = { name: 'app', kind: 'binary', digest: sha256(bytes), size: bytes.length }
    const { data } = await fetchRefused(await badSource(bytes.length, bytes.subarray(0, 10_000), 'stall'), ref, 300)
    expect(data).toMatchObject({ reason: 'unavailable' })
    expect(data.detail).toMatch(/stalled/)
  })

  it('stops at once when the caller aborts, leaving nothing behind', async () => {
    const bytes = randomBytes(50_000)
    const ref: ArtifactRef = { name: 'app', kind: 'binary', digest: sha256(bytes), size: bytes.length }
    const stalling = await badSource(bytes.length, bytes.subarray(0, 10_000), 'stall')
    const controller = new AbortController()
    const dial = async (): Promise<ByteStream> => {
      const stream = await stalling()
      setTimeout(() => { controller.abort(new Error('cancelled by the user')) }, 100)
      return stream
    }
    const { store, dir } = await tempStore()
    const err = await rejection(fetchArtifact({ dial, ref, store, idleMs: 30_000, signal: controller.signal }))
    expect(err.message).toBe('cancelled by the user')
    expect(await storeFiles(dir)).toEqual({ blobs: [], ingest: [] })
  })

  it('refuses an unauthorized peer with the reason, and a blob it does not hold', async () => {
    const bytes = randomBytes(1000)
    const { dial, ref } = await honestSource(bytes, 'outsider')
    const { data, message } = await fetchRefused(dial, ref)
    expect(data).toMatchObject({ reason: 'refused' })
    expect(message).toContain('outsider is not a member of the team')
    const held = await honestSource(bytes)
    const other = randomBytes(10)
    const missing = await fetchRefused(held.dial, { ...held.ref, digest: sha256(other), size: other.length })
    expect(missing.data).toMatchObject({ reason: 'not_found' })
  })

  it('falls through to the second source, and names every failure when all fail', async () => {
    const bytes = randomBytes(100_000)
    const good = await honestSource(bytes)
    const liar = await badSource(bytes.length, randomBytes(bytes.length), 'end')
    const closed = async (): Promise<ByteStream> => { throw new Error('connection refused') }
    const { store } = await tempStore()
    const result = await fetchFromAny({ dials: [liar, good.dial], ref: good.ref, store })
    expect(result).toMatchObject({ source: 1, bytes: bytes.length })
    expect(await store.has(good.ref.digest)).toBe(true)
    const empty = await tempStore()
    const err = await rejection(fetchFromAny({ dials: [closed, liar], ref: good.ref, store: empty.store }))
    expect(err.data).toMatchObject({ reason: 'unavailable' })
    expect(err.message).toMatch(/source 1: .*connection refused.*source 2: .*hashes to/)
    expect(await storeFiles(empty.dir)).toEqual({ blobs: [], ingest: [] })
  })

  it('exports a fetched binary atomically, executable, replacing an older copy', async () => {
    const bytes = randomBytes(70_000)
    const { dial, ref } = await honestSource(bytes)
    const { store } = await tempStore()
    await fetchArtifact({ dial, ref, store })
    const out = await tempDir()
    const target = join(out, 'app')
    await writeFile(target, 'old version')
    expect(await exportArtifact(store, ref.digest, target, { kind: 'binary' })).toEqual({ digest: ref.digest, size: bytes.length })
    expect((await readFile(target)).equals(bytes)).toBe(true)
    expect((await stat(target)).mode & 0o777).toBe(0o755)
    await exportArtifact(store, ref.digest, join(out, 'pkg.tgz'), { kind: 'package' })
    expect((await stat(join(out, 'pkg.tgz'))).mode & 0o777).toBe(0o644)
    expect((await readdir(out)).sort()).toEqual(['app', 'pkg.tgz'])
    const err = await rejection(exportArtifact(store, sha256(Buffer.from('nope')), join(out, 'x')))
    expect(err.data).toMatchObject({ reason: 'not_found' })
  })

  it('answers a probe with the header alone: yes for a held blob of the listed size, no otherwise', async () => {
    const bytes = randomBytes(512 * 1024)
    const { dial, ref } = await honestSource(bytes)
    let received = 0
    const counting = async (): Promise<ByteStream> => {
      const s = await dial()
      return { ...s, source: (async function * () { for await (const c of s.source) { received += c.length; yield c } })() }
    }
    expect(await probeArtifact({ dial: counting, ref })).toBe(true)
    expect(received).toBeLessThan(200)
    expect(await probeArtifact({ dial, ref: { ...ref, size: ref.size + 1 } })).toBe(false)
    expect(await probeArtifact({ dial, ref: { ...ref, digest: sha256(Buffer.from('other')) } })).toBe(false)
    const refused = await honestSource(bytes, 'outsider')
    expect(await probeArtifact({ dial: refused.dial, ref: refused.ref })).toBe(false)
    expect(await probeArtifact({ dial: async () => { throw new Error('unreachable') }, ref })).toBe(false)
  })
})
