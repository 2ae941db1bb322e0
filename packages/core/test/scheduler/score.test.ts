import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createFold, type BidScore, type JobState, type ShareMode } from '../../src/index.ts'
import { bestBid, bidScore } from '../../src/scheduler/score.ts'
import { Author, announceBody } from '../helpers.ts'

async function queuedJob (): Promise<JobState> {
  const fold = createFold()
  const announce = await new Author().make(1, 'job.announced', announceBody())
  fold.apply([announce])
  return fold.job(announce.id)!
}

/** Everything a bid's score says but the share mode and whether the user is active. */
const inputs = fc.record({
  freeSlots: fc.integer({ min: 0, max: 1024 }),
  cores: fc.integer({ min: 1, max: 4096 }),
  load: fc.double({ min: 0, max: 1000, noNaN: true }),
  warm: fc.boolean(),
  recentFailures: fc.integer({ min: 0, max: 1000 })
})
const peerId = fc.string({ minLength: 1, maxLength: 8 })

const bid = (peer: string, score: BidScore): { peer: string, score: BidScore } => ({ peer, score })

describe('share modes in bid scores', () => {
  it('a dedicated bidder always beats a shared one whose bid says the same, whoever is at either keyboard', async () => {
    const job = await queuedJob()
    fc.assert(fc.property(inputs, fc.boolean(), fc.boolean(), peerId, peerId, fc.boolean(), (same, dedicatedUser, sharedUser, d, s, dedicatedFirst) => {
      fc.pre(d !== s)
      const dedicated = bid(d, { ...same, shareMode: 'dedicated', userActive: dedicatedUser })
      const shared = bid(s, { ...same, shareMode: 'shared', userActive: sharedUser })
      const bids = dedicatedFirst ? [dedicated, shared] : [shared, dedicated]
      expect(bestBid(job, bids)?.peer).toBe(d)
      expect(bidScore(dedicated.score, d, job)).toBeGreaterThan(bidScore(shared.score, s, job))
    }), { numRuns: 2000 })
  })

  it('ranks dedicated over shared over idle for the same bid, and an active user lowers all but dedicated', async () => {
    const job = await queuedJob()
    const order: ShareMode[] = ['dedicated', 'shared', 'idle', 'off']
    fc.assert(fc.property(inputs, fc.boolean(), (same, userActive) => {
      const scores = order.map((shareMode) => bidScore({ ...same, shareMode, userActive }, 'p', job))
      for (let i = 1; i < scores.length - 1; i++) expect(scores[i - 1]!).toBeGreaterThan(scores[i]!)
      expect(scores[3]!).toBeLessThanOrEqual(scores[2]!)
      for (const shareMode of ['shared', 'idle'] as const) {
        expect(bidScore({ ...same, shareMode, userActive: true }, 'p', job)).toBeLessThan(bidScore({ ...same, shareMode, userActive: false }, 'p', job))
      }
      expect(bidScore({ ...same, shareMode: 'dedicated', userActive: true }, 'p', job)).toBe(bidScore({ ...same, shareMode: 'dedicated', userActive: false }, 'p', job))
    }), { numRuns: 1000 })
  })

  it('scores a bid signed with the old name idle-only as idle', async () => {
    const job = await queuedJob()
    fc.assert(fc.property(inputs, fc.boolean(), (same, userActive) => {
      expect(bidScore({ ...same, shareMode: 'idle-only', userActive }, 'p', job)).toBe(bidScore({ ...same, shareMode: 'idle', userActive }, 'p', job))
    }))
  })
})
