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

  const prefetcher = (peer: Server, limits: Partial<PrefetchLimits> = {}): ReturnType<typeof createPrefetcher> => createPrefetcher({
    mirrors,
    clock,
    fetch: async (job, l) => await fetchSource({ mirrors, dial: peer.dial, logger: silentLogger }, { repo: job.repo, commit: job.commit, peers: ['origin'], ...l })
  }, limits)

  beforeAll(async () => {
    dev = await developerRepo(await dirs.make('dev'))
    commits = [dev.first]
    for (let i = 1; i <= 4; i++) {
      await writeFiles(dev.dir, { [`src/file${i}.txt`]: noise(`change${i}`, 3000) })
      commits.push(await commitAll(dev.dir, `change ${i}`))
    }
    server = await sourcePeer([dev.gitdir], new Set(commits))
    mirrors = createMirrors({ root: await dirs.make('mirrors') })
  })
  afterAll(async () => { await server.close() })

  it('does not fetch into a runner that holds nothing of the repository yet', async () => {
    const early = prefetcher(server)
    early.start(jobOf(dev.repoId, commits[0]!))
    expect(await early.take(jobOf(dev.repoId, commits[0]!))).toBeUndefined()
    expect(await mirrors.has(dev.repoId, commits[0]!)).toBe(false)
  })

  it('brings the commit into a mirror that holds the repository, once, and credits it to one attempt', async () => {
    await fetchSource({ mirrors, dial: server.dial, logger: silentLogger }, { repo: dev.repoId, commit: commits[0]!, peers: ['origin'] })
    const early = prefetcher(server)
    const job = jobOf(dev.repoId, commits[1]!)
    early.start(job)
    early.start(job)
    const got = await early.take(job)
    expect(got).toMatchObject({ alreadyHad: false, peer: 'origin' })
    expect(got!.objects).toBeGreaterThan(0)
    expect(await mirrors.has(dev.repoId, commits[1]!)).toBe(true)
    // A second job of the same commit moved nothing of its own.
    expect(early.take(job)).toBeUndefined()
  })

  it('gives up on a stalling server at its deadline and lets the attempt fetch at once', async () => {
    const stalling = await stallingPeer()
    try {
      const early = prefetcher(stalling, { deadlineMs: 300 })
      const job = jobOf(dev.repoId, commits[2]!)
      early.start(job)
      expect(await early.take(job)).toBeUndefined()
      expect(stalling.requests()).toBe(1)
      // The mirror's lock is free again: the attempt's own fetch goes ahead.
      const own = await fetchSource({ mirrors, dial: server.dial, logger: silentLogger }, { repo: dev.repoId, commit: commits[2]!, peers: ['origin'] })
      expect(own.alreadyHad).toBe(false)
    } finally {
      await stalling.close()
    }
  })

  it('stops at its byte cap, leaving the mirror without the commit', async () => {
    const early = prefetcher(server, { maxPackBytes: 64 })
    const job = jobOf(dev.repoId, commits[3]!)
    early.start(job)
    expect(await early.take(job)).toBeUndefined()
    expect(await mirrors.has(dev.repoId, commits[3]!)).toBe(false)
  })

  it('runs at most `parallel` at once and credits none that went stale', async () => {
    const stalling = await stallingPeer()
    try {
      const early = prefetcher(stalling, { parallel: 1, deadlineMs: 60_000, freshMs: 1_000 })
      early.start(jobOf(dev.repoId, commits[3]!))
      early.start(jobOf(dev.repoId, commits[4]!))
      expect(early.take(jobOf(dev.repoId, commits[4]!))).toBeUndefined()
      now += 5_000
      expect(early.take(jobOf(dev.repoId, commits[3]!))).toBeUndefined()
    } finally {
      await stalling.close()
    }
  })
})
