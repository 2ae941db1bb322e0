import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { queueOrder, resolvePolicy, type JobState, type Priority } from '../../src/index.ts'
import { levelUsage } from '../../src/scheduler/queue.ts'
import { coordinatorFor } from '../../src/scheduler/score.ts'

const policy = resolvePolicy({ starvationMs: 60_000 })
const levels: Priority[] = ['critical', 'high', 'normal', 'low']

function job (id: number, priority: Priority, announcedAt: number, over: Partial<JobState> = {}): JobState {
  return {
    id: id.toString(16).padStart(64, '0'), origin: 'o', repo: 'r', ref: 'main', commit: 'c'.repeat(40), pipelineJob: 'build', needs: [],
    priority, labels: [], retry: { max: 0, when: [] }, timeoutMs: 0, cache: false, sensitive: false, source: { addrs: [] },
    announcedAt, announceLamport: id, status: 'queued', attempt: 1, notBefore: announcedAt, queuedAt: announcedAt,
    attempts: [], bids: [], retries: 0, ...over
  }
}

const arbJobs = fc.array(fc.record({ priority: fc.constantFrom(...levels), at: fc.integer({ min: 0, max: 200_000 }) }), { maxLength: 60 })
  .map((specs) => specs.map((s, i) => job(i + 1, s.priority, s.at)))

describe('queue order', () => {
  it('orders every queued job exactly once and keeps FIFO (by announce second) within a level', () => {
    fc.assert(fc.property(arbJobs, fc.integer({ min: 0, max: 400_000 }), (jobs, now) => {
      const order = queueOrder(jobs, now, policy)
      expect(order.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort())
      for (const p of levels) {
        const seconds = order.filter((j) => j.priority === p).map((j) => Math.floor(j.announcedAt / 1000))
        expect(seconds).toEqual([...seconds].sort((a, b) => a - b))
      }
    }))
  })

  it('is the same whatever order the jobs come in', () => {
    fc.assert(fc.property(arbJobs, fc.integer({ min: 0, max: 400_000 }), (jobs, now) => {
      expect(queueOrder([...jobs].reverse(), now, policy).map((j) => j.id)).toEqual(queueOrder(jobs, now, policy).map((j) => j.id))
    }))
  })

  it('interleaves fresh backlogs by weight: 8 critical, 4 high, 2 normal, 1 low in every 15', () => {
    const jobs = levels.flatMap((p, k) => Array.from({ length: 40 }, (_, i) => job(k * 100 + i + 1, p, 1_000)))
    const first15 = queueOrder(jobs, 2_000, policy).slice(0, 15)
    const counts = Object.fromEntries(levels.map((p) => [p, first15.filter((j) => j.priority === p).length]))
    expect(counts).toEqual({ critical: 8, high: 4, normal: 2, low: 1 })
  })

  it('puts a level that used less than its share first', () => {
    const now = 1_000_000
    const busy = job(900, 'high', now - 500_000, { status: 'running', attempts: [{ n: 1, runner: 'x', awardedBy: 'o', award: 'a', awardedAt: now - 400_000 }] })
    const jobs = [busy, job(1, 'high', now - 1000), job(2, 'low', now - 1000)]
    expect(queueOrder(jobs, now, policy).map((j) => j.priority)).toEqual(['low', 'high'])
    expect(levelUsage(jobs, now, policy).usedMs.high).toBe(400_000)
  })

  it('lets an aged job ahead of fresh jobs of its own and higher levels, not of lower levels', () => {
    const now = 1_000_000
    const agedLow = job(1, 'low', now - 120_000)
    const freshHigh = job(2, 'high', now - 1_000)
    const lowUsage = job(900, 'low', 0, { status: 'succeeded', attempts: [{ n: 1, runner: 'x', awardedBy: 'o', award: 'a', awardedAt: now - 900_000, finishedAt: now - 100_000 }] })
    expect(queueOrder([agedLow, freshHigh, lowUsage], now, policy)[0]!.id).toBe(agedLow.id)
    const agedHigh = job(3, 'high', now - 120_000)
    const freshLow = job(4, 'low', now - 1_000)
    const highUsage = job(901, 'high', 0, { status: 'running', attempts: [{ n: 1, runner: 'x', awardedBy: 'o', award: 'a', awardedAt: now - 300_000 }] })
    expect(queueOrder([agedHigh, freshLow, highUsage], now, policy)[0]!.id).toBe(freshLow.id)
  })
})

describe('coordinator', () => {
  it('is the origin while it is live, else the same live peer for everyone', () => {
    const j = job(7, 'normal', 0, { origin: 'origin' })
    expect(coordinatorFor(j, ['a', 'origin', 'b'])).toBe('origin')
    fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 8 }), (peers) => {
      const c = coordinatorFor(j, peers.filter((p) => p !== 'origin'))
      if (peers.some((p) => p !== 'origin')) expect(coordinatorFor(j, [...peers].reverse().filter((p) => p !== 'origin'))).toBe(c)
    }))
  })
})
