import { describe, expect, it } from 'vitest'
import { createFold, type JobState } from '../../src/index.ts'
import { createLocalTimes } from '../../src/scheduler/local-times.ts'
import { announceBody, Author, finishBody, score } from '../helpers.ts'

const TEN_MINUTES = 600_000

/** A job announced, bid for, awarded and failed (with a retry) by authors whose clocks are far off. */
async function retried (): Promise<{ job: JobState, bidder: string }> {
  const origin = new Author()
  const runner = new Author()
  const fold = createFold()
  const ahead = Date.UTC(2026, 0, 1) + TEN_MINUTES
  const a = await origin.make(1, 'job.announced', announceBody({ retry: { max: 1, when: ['exit_code:75'] } }), ahead)
  fold.apply([
    a,
    await runner.make(2, 'job.bid', { job: a.id, attempt: 1, labels: [], score }, ahead - 2 * TEN_MINUTES),
    await origin.make(3, 'job.awarded', { job: a.id, attempt: 1, runner: runner.id }, ahead),
    await runner.make(4, 'job.finished', finishBody(a.id, 1, 'failed', 75), ahead - 2 * TEN_MINUTES)
  ])
  const bid = await runner.make(5, 'job.bid', { job: a.id, attempt: 2, labels: [], score }, ahead + TEN_MINUTES)
  fold.apply([bid])
  return { job: fold.job(a.id)!, bidder: runner.id }
}

describe('local times: durations from when this peer learned, never from authors\' clocks', () => {
  it('counts a retry\'s backoff from when this peer first saw the attempt queued', async () => {
    const { job } = await retried()
    expect(job).toMatchObject({ status: 'queued', attempt: 2 })
    const backoff = job.notBefore - job.queuedAt
    expect(backoff).toBe(2_000)
    const times = createLocalTimes()
    times.observe([job], 50_000)
    expect(times.backoffOver(job, 50_000 + backoff - 1)).toBe(false)
    expect(times.backoffOver(job, 50_000 + backoff)).toBe(true)
    // Seeing it again later does not restart the backoff.
    times.observe([job], 51_000)
    expect(times.backoffOver(job, 52_000)).toBe(true)
  })

  it('ages a bid from when this peer first saw it, whatever its author\'s clock said', async () => {
    const { job, bidder } = await retried()
    const times = createLocalTimes()
    times.observe([job], 1_000)
    times.observe([job], 3_000)
    expect(times.bidAge(job, bidder, 6_000)).toBe(5_000)
    expect(times.bidAge(job, 'someone-else', 6_000)).toBe(0)
    expect(times.jobSince(job)).toBe(1_000)
  })
})
