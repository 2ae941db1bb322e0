import { describe, expect, it } from 'vitest'
import { createEvent, createFold, generateSigner, type BodyOf, type DecodedEvent, type EventType, type Signer } from '@devq/core'
import { createAccessIndex } from '../src/access.ts'

/** An author that chains its own events. */
function author (): { signer: Signer, id: string, make: <T extends EventType>(lamport: number, type: T, body: BodyOf<T>) => Promise<DecodedEvent> } {
  const signer = generateSigner()
  let seq = 0
  let prev: string | null = null
  return {
    signer,
    id: signer.peerId,
    async make (lamport, type, body) {
      const e = await createEvent(signer, { seq: ++seq, prev, lamport, time: lamport * 1000 }, type, body)
      prev = e.id
      return e
    }
  }
}

const DIGEST = `sha256:${'ab'.repeat(32)}`
const announce = (sensitive: boolean): BodyOf<'job.announced'> => ({
  repo: 'r'.repeat(64), ref: 'refs/heads/main', commit: 'c'.repeat(40), pipelineJob: 'build', priority: 'normal', labels: [],
  retry: { max: 0, when: [] }, timeoutMs: 60_000, cache: true, cacheKey: 'e'.repeat(64), sensitive, source: { addrs: [] }
})
const score = { freeSlots: 1, cores: 2, load: 0, warm: false, shareMode: 'dedicated' as const, userActive: false, recentFailures: 0 }
const artifacts = [{ name: 'secret-build', kind: 'binary' as const, digest: DIGEST, size: 10 }]

describe('who may fetch an artifact', () => {
  it('keeps a sensitive job\'s artifact from members even when a member\'s own job claims it as a cached result, which the fold refuses', async () => {
    const admin = author()
    const trusted = author()
    const member = author()
    const events = [
      await admin.make(1, 'team.created', { name: 't', mode: 'open' }),
      await admin.make(2, 'team.member_added', { peer: trusted.id, role: 'trusted' }),
      await admin.make(3, 'team.member_added', { peer: member.id, role: 'member' })
    ]
    const s = await admin.make(4, 'job.announced', announce(true))
    events.push(s,
      await trusted.make(5, 'job.bid', { job: s.id, attempt: 1, labels: [], score }),
      await admin.make(6, 'job.awarded', { job: s.id, attempt: 1, runner: trusted.id }),
      await trusted.make(7, 'job.finished', { job: s.id, attempt: 1, status: 'succeeded', exitCode: 0, durations: { runMs: 1, totalMs: 1 }, artifacts, logDigest: null }))
    // The member announces a plain job with the same key and finishes it itself as cached.
    const p = await member.make(8, 'job.announced', announce(false))
    events.push(p, await member.make(9, 'job.finished', { job: p.id, attempt: 1, status: 'cached', exitCode: 0, durations: { runMs: 0, totalMs: 0 }, artifacts, logDigest: null, cachedFrom: s.id }))
    const fold = createFold()
    fold.apply(events)
    // The fold does not let a plain job take a sensitive job's result, so the claim makes no result.
    expect(fold.job(p.id)!.status).toBe('queued')
    expect(fold.job(p.id)!.result).toBeUndefined()
    const access = createAccessIndex({ fold }, { self: admin.id })
    expect(access.mayFetchArtifact(member.id, DIGEST)).toMatch(/sensitive: only its origin and trusted peers/)
    expect(access.mayFetchArtifact(trusted.id, DIGEST)).toBe(true)
    expect(access.mayFetchArtifact(admin.id, DIGEST)).toBe(true)
    expect(access.mayFetchArtifact(member.id, `sha256:${'cd'.repeat(32)}`)).toMatch(/no job in the ledger lists/)
  })
})
