import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { silentLogger, type ByteStream } from '@devq/core'
import { runGit } from '../../src/git/exec.ts'
import { fetchSource, type FetchComponents } from '../../src/git/fetch.ts'
import { createMirrors, type Mirrors } from '../../src/git/mirrors.ts'
import { FrameReader, writeFrame } from '../../src/wire.ts'
import { streamServer } from '../streams.ts'
import { commitAll, developerRepo, gitProcesses, sourcePeer, tempDirs, writeFiles } from './fixtures.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

/** A server that reads the request, answers ok, then sends `body` however `send` says. */
async function badPeer (send: (stream: ByteStream) => Promise<void>): Promise<{ dial: () => Promise<ByteStream>, close: () => Promise<void> }> {
  return await streamServer(async (stream) => {
    await new FrameReader(stream.source, 'git').frame(z.unknown())
    await writeFrame(stream, { ok: true })
    await send(stream)
  })
}

/** The client side of each stream, recording whether the fetch aborted it. */
function recording (dial: () => Promise<ByteStream>, aborts: Error[]): () => Promise<ByteStream> {
  return async () => {
    const stream = await dial()
    return { source: stream.source, write: stream.write, end: stream.end, abort: (err) => { aborts.push(err); stream.abort(err) } }
  }
}

async function packOf (gitdir: string, commit: string): Promise<Buffer> {
  return (await runGit(['--git-dir', gitdir, 'pack-objects', '--revs', '--stdout', '-q'], { input: `${commit}\n` })).stdout
}

describe('a fetch from a peer that speaks the protocol badly', () => {
  let dev: Awaited<ReturnType<typeof developerRepo>>
  let pack: Buffer
  let mirrors: Mirrors
  beforeAll(async () => {
    dev = await developerRepo(await dirs.make('dev'))
    pack = await packOf(dev.gitdir, dev.first)
    mirrors = createMirrors({ root: await dirs.make('mirrors') })
  })

  async function expectFailure (send: (stream: ByteStream) => Promise<void>, reason: string, extra: { maxPackBytes?: number, idleMs?: number } = {}): Promise<void> {
    const peer = await badPeer(send)
    const aborts: Error[] = []
    const components: FetchComponents = { mirrors, dial: recording(peer.dial, aborts), logger: silentLogger }
    try {
      const err = await fetchSource(components, { repo: dev.repoId, commit: dev.first, peers: ['bad'], ...extra }).catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'SourceError', retryable: true, data: { reason, commit: dev.first } })
      expect((err as Error).message).toContain(`bad: ${reason}`)
      expect(aborts).toHaveLength(1)
      expect(await gitProcesses(mirrors.pathOf(dev.repoId))).toEqual([])
      const packDir = await readdir(join(mirrors.pathOf(dev.repoId), 'objects', 'pack'))
      expect(packDir.filter((n) => !n.endsWith('.idx') && !n.endsWith('.pack'))).toEqual([])
      expect(await mirrors.has(dev.repoId, dev.first)).toBe(false)
    } finally {
      await peer.close()
    }
  }

  it('fails a corrupted pack as corrupt_pack', async () => {
    const bad = Buffer.from(pack)
    for (let i = 200; i < 260; i++) bad[i] = bad[i]! ^ 0xff
    await expectFailure(async (s) => { await s.write(bad); await s.end() }, 'corrupt_pack')
  })

  it('fails a truncated pack as corrupt_pack', async () => {
    await expectFailure(async (s) => { await s.write(pack.subarray(0, pack.length >> 1)); await s.end() }, 'corrupt_pack')
  })

  it('fails data that is not a pack at all as corrupt_pack', async () => {
    await expectFailure(async (s) => { await s.write(Buffer.from('HTTP/1.1 200 OK\r\n\r\nhello')); await s.end() }, 'corrupt_pack')
  })

  it('aborts a pack over maxPackBytes as too_large', async () => {
    await expectFailure(async (s) => { await s.write(pack).catch(() => {}); await s.end().catch(() => {}) }, 'too_large', { maxPackBytes: 4096 })
  })

  it('gives up on a peer that stalls after the header as stalled', async () => {
    let stalled: (() => void) | undefined
    let sawIndexPack = false
    const send = async (s: ByteStream): Promise<void> => {
      await s.write(pack.subarray(0, 1000))
      // index-pack is running and waiting for more: the fetch must kill it when it gives up.
      for (let i = 0; i < 100 && !sawIndexPack; i++) {
        sawIndexPack = (await gitProcesses(mirrors.pathOf(dev.repoId))).length > 0
        if (!sawIndexPack) await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await new Promise<void>((resolve) => { stalled = resolve })
    }
    await expectFailure(send, 'stalled', { idleMs: 1500 })
    stalled?.()
    expect(sawIndexPack).toBe(true)
  })

  it('fails a valid pack that does not complete the commit as missing_object, and takes the pack out again', async () => {
    await writeFiles(dev.dir, { 'later.txt': 'later\n' })
    const later = await commitAll(dev.dir, 'later')
    const peer = await badPeer(async (s) => { await s.write(pack); await s.end() })
    const aborts: Error[] = []
    try {
      const err = await fetchSource({ mirrors, dial: recording(peer.dial, aborts), logger: silentLogger }, { repo: dev.repoId, commit: later, peers: ['stale'] }).catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'SourceError', data: { reason: 'missing_object', commit: later } })
      expect(aborts).toHaveLength(1)
      await expect(runGit(['--git-dir', mirrors.pathOf(dev.repoId), 'cat-file', '-e', dev.first])).rejects.toMatchObject({ name: 'GitCommandError' })
      expect(await readdir(join(mirrors.pathOf(dev.repoId), 'objects', 'pack'))).toEqual([])
    } finally {
      await peer.close()
    }
  })

  it('still fetches from a good peer into the same mirror afterwards, after trying a bad one first', async () => {
    const bad = await badPeer(async (s) => { await s.write(pack.subarray(0, 100)); await s.end() })
    const good = await sourcePeer([dev.gitdir], new Set([dev.first]))
    const dial = async (peer: string): Promise<ByteStream> => await (peer === 'bad' ? bad.dial() : good.dial())
    try {
      const got = await fetchSource({ mirrors, dial, logger: silentLogger }, { repo: dev.repoId, commit: dev.first, peers: ['bad', 'good'] })
      expect(got).toMatchObject({ peer: 'good', alreadyHad: false })
      await runGit(['--git-dir', mirrors.pathOf(dev.repoId), 'rev-list', '--objects', '--missing=error', '--quiet', dev.first])
      await runGit(['--git-dir', mirrors.pathOf(dev.repoId), 'fsck', '--strict', '--no-dangling'])
    } finally {
      await bad.close()
      await good.close()
    }
  })

  it('names every peer and its cause when all of them fail', async () => {
    const truncated = await badPeer(async (s) => { await s.write(pack.subarray(0, 100)); await s.end() })
    const refusing = await sourcePeer([dev.gitdir], new Set())
    const dial = async (peer: string): Promise<ByteStream> => await (peer === 'truncated' ? truncated.dial() : refusing.dial())
    try {
      const fresh = createMirrors({ root: await dirs.make('fresh') })
      const err = await fetchSource({ mirrors: fresh, dial, logger: silentLogger }, { repo: dev.repoId, commit: dev.first, peers: ['truncated', 'refusing'] }).catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'SourceError', data: { reason: 'corrupt_pack' } })
      expect((err as Error).message).toMatch(/truncated: corrupt_pack .*; refusing: refused/)
    } finally {
      await truncated.close()
      await refusing.close()
    }
  })
})
