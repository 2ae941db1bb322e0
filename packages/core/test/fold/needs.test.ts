import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createFold, type DecodedEvent } from '../../src/index.ts'
import { Author, announceBody, finishBody, score } from '../helpers.ts'

const fold = (events: DecodedEvent[]) => { const f = createFold(); f.apply(events); return f }
const RUN = 'ab'.repeat(16)

/** Announces a diamond a <- (b, c) <- d in one run, in the order a planner writes them. */
async function diamond (origin: Author) {
  const a = await origin.make(1, 'job.announced', announceBody({ run: RUN, pipelineJob: 'a' }))
  const b = await origin.make(2, 'job.announced', announceBody({ run: RUN, pipelineJob: 'b', needs: ['a'] }))
  const c = await origin.make(3, 'job.announced', announceBody({ run: RUN, pipelineJob: 'c', needs: ['a'] }))
  const d = await origin.make(4, 'job.announced', announceBody({ run: RUN, pipelineJob: 'd', needs: ['b', 'c'] }))
  return { a, b, c, d }
}

/** Bid, award and finish of attempt 1 of `job` by `runner`, coordinated by `origin`. */
async function runs (origin: Author, runner: Author, job: string, lamport: number, status: 'succeeded' | 'failed') {
  return [
    await runner.make(lamport, 'job.bid', { job, attempt: 1, labels: [], score }),
    await origin.make(lamport + 1, 'job.awarded', { job, attempt: 1, runner: runner.id }),
    await runner.make(lamport + 2, 'job.finished', finishBody(job, 1, status))
  ]
}

describe('needs', () => {
  it('holds dependants waiting until what they need succeeded, then queues them in order', async () => {
    const origin = new Author()
    const runner = new Author()
    const { a, b, c, d } = await diamond(origin)
    const announced = fold([a, b, c, d])
    expect([a, b, c, d].map((e) => announced.job(e.id)!.status)).toEqual(['queued', 'waiting', 'waiting', 'waiting'])
    expect(announced.job(d.id)!.needs).toEqual([{ pipelineJob: 'b', job: b.id }, { pipelineJob: 'c', job: c.id }])
    const aDone = [a, b, c, d, ...await runs(origin, runner, a.id, 10, 'succeeded')]
    const afterA = fold(aDone)
    expect([a, b, c, d].map((e) => afterA.job(e.id)!.status)).toEqual(['succeeded', 'queued', 'queued', 'waiting'])
    // A bid on a waiting job counts for nothing, even from a buggy peer.
    const early = await runner.make(20, 'job.bid', { job: d.id, attempt: 1, labels: [], score })
    const bDone = [...aDone, early, ...await runs(origin, runner, b.id, 30, 'succeeded')]
    expect(fold(bDone).job(d.id)).toMatchObject({ status: 'waiting', bids: [] })
    const all = fold([...bDone, ...await runs(origin, runner, c.id, 40, 'succeeded')])
    const dState = all.job(d.id)!
    expect(dState.status).toBe('queued')
    // It was queued when its last need finished: that is where its wait starts.
    expect(dState.queuedAt).toBe(42_000)
  })

  it('skips every job downstream of a failure, naming why; a retried need makes them wait again', async () => {
    const origin = new Author()
    const runner = new Author()
    const { a, b, c, d } = await diamond(origin)
    const failed = [a, b, c, d, ...await runs(origin, runner, a.id, 10, 'failed')]
    const f = fold(failed)
    expect([a, b, c, d].map((e) => f.job(e.id)!.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped'])
    expect(f.job(b.id)!.skippedBecause).toBe('needs a, which was failed')
    expect(f.job(d.id)!.skippedBecause).toMatch(/^needs [bc], which was skipped$/)
    const retried = fold([...failed, await origin.make(20, 'job.retry_requested', { job: a.id })])
    expect([a, b, c, d].map((e) => retried.job(e.id)!.status)).toEqual(['queued', 'waiting', 'waiting', 'waiting'])
  })

  it('skips a job whose need names no earlier job of its run and origin', async () => {
    const origin = new Author()
    const other = new Author()
    const early = await origin.make(1, 'job.announced', announceBody({ run: RUN, pipelineJob: 'x', needs: ['later'] }))
    await origin.make(2, 'job.announced', announceBody({ run: RUN, pipelineJob: 'later' }))
    // Another member announcing the needed name in the same run id does not satisfy it.
    const foreign = await other.make(1, 'job.announced', announceBody({ run: RUN, pipelineJob: 'later' }))
    const state = fold([early, foreign]).job(early.id)!
    expect(state.status).toBe('skipped')
    expect(state.skippedBecause).toBe('needs later, which is not an earlier job of this run')
  })

  it('a cancelled waiting job stays cancelled when its needs succeed; a cached need counts as success', async () => {
    const origin = new Author()
    const runner = new Author()
    const cacheKey = 'e'.repeat(64)
    // An earlier build of `a` (same key) that `a` is then cached from.
    const earlier = await origin.make(1, 'job.announced', announceBody({ pipelineJob: 'a', cache: true, cacheKey }))
    const build = [earlier, await runner.make(2, 'job.bid', { job: earlier.id, attempt: 1, labels: [], score }),
      await origin.make(3, 'job.awarded', { job: earlier.id, attempt: 1, runner: runner.id }),
      await runner.make(4, 'job.finished', finishBody(earlier.id, 1, 'succeeded'))]
    const a = await origin.make(10, 'job.announced', announceBody({ run: RUN, pipelineJob: 'a', cache: true, cacheKey }))
    const b = await origin.make(11, 'job.announced', announceBody({ run: RUN, pipelineJob: 'b', needs: ['a'] }))
    const c = await origin.make(12, 'job.announced', announceBody({ run: RUN, pipelineJob: 'c', needs: ['a'] }))
    const cancel = await origin.make(13, 'job.cancel_requested', { job: b.id })
    const cached = await origin.make(14, 'job.finished', { ...finishBody(a.id, 1, 'succeeded'), status: 'cached', durations: { runMs: 0, totalMs: 0 }, cachedFrom: earlier.id })
    const f = fold([...build, a, b, c, cancel, cached])
    expect([a, b, c].map((e) => f.job(e.id)!.status)).toEqual(['cached', 'cancelled', 'queued'])
  })

  it('gives the same state and hash whatever order and duplication the events arrive in', async () => {
    const origin = new Author()
    const r1 = new Author()
    const r2 = new Author()
    const { a, b, c, d } = await diamond(origin)
    const events = [a, b, c, d,
      ...await runs(origin, r1, a.id, 10, 'succeeded'),
      ...await runs(origin, r2, b.id, 20, 'failed'),
      ...await runs(origin, r1, c.id, 22, 'succeeded'),
      await origin.make(40, 'job.retry_requested', { job: b.id }),
      await r2.make(41, 'job.bid', { job: b.id, attempt: 2, labels: [], score }),
      await origin.make(42, 'job.awarded', { job: b.id, attempt: 2, runner: r2.id }),
      await r2.make(43, 'job.finished', finishBody(b.id, 2, 'succeeded'))]
    const reference = fold(events)
    expect(reference.job(d.id)!.status).toBe('queued')
    const hash = reference.stateHash()
    fc.assert(fc.property(fc.shuffledSubarray(events, { minLength: events.length }), fc.array(fc.nat(events.length - 1), { maxLength: 5 }), fc.integer({ min: 1, max: 5 }), (order, dups, chunk) => {
      const f = createFold()
      const input = [...order, ...dups.map((i) => events[i]!)]
      for (let i = 0; i < input.length; i += chunk) f.apply(input.slice(i, i + chunk))
      return f.stateHash() === hash
    }), { numRuns: 200 })
  })
})
