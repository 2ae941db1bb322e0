import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { silentLogger, type ByteStream, type JobState } from '@devq/core'
import { fetchSource } from '../../src/git/fetch.ts'
import { createMirrors, type Mirrors } from '../../src/git/mirrors.ts'
import { createPrefetcher, type PrefetchLimits } from '../../src/executor/prefetch.ts'
import { FrameReader, writeFrame } from '../../src/wire.ts'
import { streamServer } from '../streams.ts'
import { commitAll, developerRepo, noise, sourcePeer, tempDirs, writeFiles } from '../git/fixtures.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

type Server = Awaited<ReturnType<typeof sourcePeer>>

const jobOf = (repo: string, commit: string): JobState => ({ repo, commit, origin: 'origin' }) as unknown as JobState

/** A server that answers ok to every request and then sends nothing, counting the requests. */
async function stallingPeer (): Promise<Server & { requests: () => number }> {
  let requests = 0
  const server = await streamServer(async (stream: ByteStream) => {
    requests++
    await new FrameReader(stream.source, 'git').frame(z.unknown())
    await writeFrame(stream, { ok: true })
    await new Promise(() => {})
  })
  return { ...server, requests: () => requests }
}

describe('early fetches while bidding', () => {
  let dev: Awaited<ReturnType<typeof developerRepo>>
  let mirrors: Mirrors
  let commits: string[]
  let server: Server
  let now = 0
  const clock = { monotonicMs: () => now }

  // The idle timeout is long, so only the early fetch's own deadline can end a stalled one.
  const prefetcher = (peer: Server, limits: Partial<PrefetchLimits> = {}): ReturnType<typeof createPrefetcher> => createPrefetcher({
    mirrors,
    clock,
    fetch: async (job, l) => await fetchSource({ mirrors, dial: peer.dial, logger: silentLogger }, { repo: job.repo, commit: job.commit, peers: ['origin'], idleMs: 600_000, ...l })
  }, limits)

  beforeAll(async () => {
    dev = await developerRepo(await dirs.make('dev'))
    commits = [dev.first]
    for (let i = 1; i <= 5; i++) {
      await writeFiles(dev.dir, { [`src/file${i}.txt`]: noise(`change${i}`, 3000) })
      commits.push(await commitAll(dev.dir, `change ${i}`))
    }
    server = await sourcePeer([dev.gitdir], new Set(commits))
    mirrors = createMirrors({ root: await dirs.make('mirrors') })
  })
  afterAll(async () => { await server.close() })

  it('does not fetch into a runner that holds nothing of the repository yet, and tries again once it does', async () => {
    const early = prefetcher(server)
    const job = jobOf(dev.repoId, commits[1]!)
    await early.start(job)
    expect(await mirrors.has(dev.repoId, commits[1]!)).toBe(false)
    // Started again before any attempt took the first try: that one came to nothing, so it is not in the way.
    await fetchSource({ mirrors, dial: server.dial, logger: silentLogger }, { repo: dev.repoId, commit: commits[0]!, peers: ['origin'] })
    void early.start(job)
    expect(await early.take(job)).toMatchObject({ alreadyHad: false })
    expect(await mirrors.has(dev.repoId, commits[1]!)).toBe(true)
  })

  it('brings the commit into a mirror that holds the repository, once, and credits it to one attempt', async () => {
    const early = prefetcher(server)
    const job = jobOf(dev.repoId, commits[2]!)
    void early.start(job)
    void early.start(job)
    const got = await early.take(job)
    expect(got).toMatchObject({ alreadyHad: false, peer: 'origin' })
    expect(got!.objects).toBeGreaterThan(0)
    expect(await mirrors.has(dev.repoId, commits[2]!)).toBe(true)
    // A second job of the same commit moved nothing of its own.
    expect(early.take(job)).toBeUndefined()
  })

  it('gives up on a stalling server at its deadline and lets the attempt fetch at once', async () => {
    const stalling = await stallingPeer()
    try {
      const early = prefetcher(stalling, { deadlineMs: 300 })
      const job = jobOf(dev.repoId, commits[3]!)
      early.start(job)
      const t0 = performance.now()
      expect(await early.take(job)).toBeUndefined()
      expect(performance.now() - t0).toBeLessThan(10_000)
      expect(stalling.requests()).toBe(1)
      // The mirror's lock is free again: the attempt's own fetch goes ahead.
      const own = await fetchSource({ mirrors, dial: server.dial, logger: silentLogger }, { repo: dev.repoId, commit: commits[3]!, peers: ['origin'] })
      expect(own.alreadyHad).toBe(false)
    } finally {
      await stalling.close()
    }
  })

  it('stops at its byte cap, leaving the mirror without the commit', async () => {
    const early = prefetcher(server, { maxPackBytes: 64 })
    const job = jobOf(dev.repoId, commits[4]!)
    void early.start(job)
    expect(await early.take(job)).toBeUndefined()
    expect(await mirrors.has(dev.repoId, commits[4]!)).toBe(false)
  })

  it('runs at most `parallel` at once and credits none that went stale', async () => {
    const stalling = await stallingPeer()
    try {
      const early = prefetcher(stalling, { parallel: 1, deadlineMs: 60_000, freshMs: 1_000 })
      void early.start(jobOf(dev.repoId, commits[4]!))
      void early.start(jobOf(dev.repoId, commits[5]!))
      expect(early.take(jobOf(dev.repoId, commits[5]!))).toBeUndefined()
      now += 5_000
      expect(early.take(jobOf(dev.repoId, commits[4]!))).toBeUndefined()
    } finally {
      await stalling.close()
    }
  })
})
