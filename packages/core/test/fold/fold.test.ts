import { describe, expect, it } from 'vitest'
import { createFold, type DecodedEvent } from '../../src/index.ts'
import { Author, announceBody, finishBody, score } from '../helpers.ts'

const fold = (events: DecodedEvent[]) => { const f = createFold(); f.apply(events); return f }

describe('fold rules', () => {
  it('walks a job through bid, award, start and finish', async () => {
    const origin = new Author()
    const runner = new Author()
    const a = await origin.make(1, 'job.announced', announceBody())
    const events = [a,
      await runner.make(2, 'job.bid', { job: a.id, attempt: 1, labels: [], score }),
      await origin.make(3, 'job.awarded', { job: a.id, attempt: 1, runner: runner.id }),
      await runner.make(4, 'job.started', { job: a.id, attempt: 1 })]
    expect(fold(events).job(a.id)?.status).toBe('running')
    const done = fold([...events, await runner.make(5, 'job.finished', finishBody(a.id, 1, 'succeeded'))]).job(a.id)!
    expect(done.status).toBe('succeeded')
    expect(done.result).toMatchObject({ status: 'succeeded', attempt: 1, by: runner.id })
  })

  it('settles conflicting awards by the lowest (lamport, author, id); the loser\'s finish does not count', async () => {
    const origin = new Author()
    const other = new Author()
    const r1 = new Author()
    const r2 = new Author()
    const a = await origin.make(1, 'job.announced', announceBody())
    const events = [a,
      await r1.make(2, 'job.bid', { job: a.id, attempt: 1, labels: [], score }),
      await r2.make(2, 'job.bid', { job: a.id, attempt: 1, labels: [], score }),
      await origin.make(5, 'job.awarded', { job: a.id, attempt: 1, runner: r1.id }),
      await other.make(4, 'job.awarded', { job: a.id, attempt: 1, runner: r2.id })]
    const loserFinish = await r1.make(6, 'job.finished', finishBody(a.id, 1, 'succeeded'))
    const state = fold([...events, loserFinish]).job(a.id)!
    expect(state.attempts).toHaveLength(1)
    expect(state.attempts[0]!.runner).toBe(r2.id)
    expect(state.status).toBe('awarded')
  })

  it('ignores an award to a peer that did not bid, and bids whose labels miss the job\'s', async () => {
    const origin = new Author()
    const r1 = new Author()
    const a = await origin.make(1, 'job.announced', announceBody({ labels: ['linux', 'gpu'] }))
    const state = fold([a,
      await r1.make(2, 'job.bid', { job: a.id, attempt: 1, labels: ['linux'], score }),
      await origin.make(3, 'job.awarded', { job: a.id, attempt: 1, runner: r1.id })]).job(a.id)!
    expect(state.status).toBe('queued')
    expect(state.bids).toEqual([])
  })

  it('requeues a lost attempt as the next attempt and keeps the lost one as history', async () => {
    const origin = new Author()
    const r1 = new Author()
    const a = await origin.make(1, 'job.announced', announceBody())
    const state = fold([a,
      await r1.make(2, 'job.bid', { job: a.id, attempt: 1, labels: [], score }),
      await origin.make(3, 'job.awarded', { job: a.id, attempt: 1, runner: r1.id }),
      await origin.make(4, 'job.lost', { job: a.id, attempt: 1, runner: r1.id, reason: 'runner_lost' }),
      await r1.make(5, 'job.finished', finishBody(a.id, 1, 'succeeded'))]).job(a.id)!
    expect(state.status).toBe('queued')
    expect(state.attempt).toBe(2)
    expect(state.attempts[0]).toMatchObject({ outcome: 'lost', failure: 'runner_lost' })
    expect(state.result).toBeUndefined()
  })

  it('retries a failure the policy names, with backoff, and stops at max', async () => {
    const origin = new Author()
    const r = new Author()
    const a = await origin.make(1, 'job.announced', announceBody({ retry: { max: 1, when: ['exit_code:3'] } }))
    const run = async (attempt: number, lamport: number, code: number) => [
      await r.make(lamport, 'job.bid', { job: a.id, attempt, labels: [], score }),
      await origin.make(lamport + 1, 'job.awarded', { job: a.id, attempt, runner: r.id }),
      await r.make(lamport + 2, 'job.finished', finishBody(a.id, attempt, 'failed', code))]
    const first = [a, ...await run(1, 2, 3)]
    const once = fold(first).job(a.id)!
    expect(once).toMatchObject({ status: 'queued', attempt: 2, retries: 1 })
    expect(once.notBefore).toBeGreaterThan(once.queuedAt)
    const twice = fold([...first, ...await run(2, 10, 3)]).job(a.id)!
    expect(twice).toMatchObject({ status: 'failed', attempt: 2 })
    const other = new Author()
    const b = await other.make(1, 'job.announced', announceBody({ retry: { max: 3, when: ['exit_code:3'] }, pipelineJob: 'x' }))
    const bState = fold([b,
      await r.make(30, 'job.bid', { job: b.id, attempt: 1, labels: [], score }),
      await other.make(31, 'job.awarded', { job: b.id, attempt: 1, runner: r.id }),
      await r.make(32, 'job.finished', finishBody(b.id, 1, 'failed', 2))]).job(b.id)!
    expect(bState.status).toBe('failed')
  })

  it('supersedes a pending job when a newer one joins its group, and cancel-in-progress stops a running one', async () => {
    const origin = new Author()
    const r = new Author()
    const group = { name: 'main', cancelInProgress: false }
    const j1 = await origin.make(1, 'job.announced', announceBody({ group }))
    const running = [j1,
      await r.make(2, 'job.bid', { job: j1.id, attempt: 1, labels: [], score }),
      await origin.make(3, 'job.awarded', { job: j1.id, attempt: 1, runner: r.id })]
    const j2 = await origin.make(4, 'job.announced', announceBody({ group, commit: 'd'.repeat(40) }))
    const j3 = await origin.make(5, 'job.announced', announceBody({ group, commit: 'e'.repeat(40) }))
    const f = fold([...running, j2, j3])
    expect(f.job(j1.id)!.status).toBe('awarded')
    expect(f.job(j2.id)).toMatchObject({ status: 'superseded', supersededBy: j3.id })
    expect(f.job(j3.id)!.status).toBe('queued')
    const j4 = await origin.make(6, 'job.announced', announceBody({ group: { name: 'main', cancelInProgress: true }, commit: 'f'.repeat(40) }))
    const g = fold([...running, j2, j3, j4])
    expect(g.job(j1.id)!.status).toBe('cancelled')
    expect(g.job(j3.id)!.status).toBe('superseded')
    expect(g.job(j4.id)!.status).toBe('queued')
  })

  it('applies cancel, priority change, manual retry and a cached result', async () => {
    const origin = new Author()
    const a = await origin.make(1, 'job.announced', announceBody({ priority: 'low' }))
    const raised = fold([a, await origin.make(2, 'job.priority_changed', { job: a.id, priority: 'critical' })]).job(a.id)!
    expect(raised.priority).toBe('critical')
    const cancel = await origin.make(3, 'job.cancel_requested', { job: a.id, reason: 'not needed' })
    expect(fold([a, cancel]).job(a.id)).toMatchObject({ status: 'cancelled', cancelReason: 'not needed' })
    const retried = fold([a, cancel, await origin.make(4, 'job.retry_requested', { job: a.id })]).job(a.id)!
    expect(retried).toMatchObject({ status: 'queued', attempt: 2 })
    // A cached result names an earlier job with the same key that succeeded; its result is that job's.
    const runner = new Author()
    const cacheKey = 'e'.repeat(64)
    const artifacts = [{ name: 'app', kind: 'binary' as const, digest: `sha256:${'ab'.repeat(32)}`, size: 3 }]
    const built = await origin.make(10, 'job.announced', announceBody({ cache: true, cacheKey }))
    const ran = [built,
      await runner.make(11, 'job.bid', { job: built.id, attempt: 1, labels: [], score }),
      await origin.make(12, 'job.awarded', { job: built.id, attempt: 1, runner: runner.id }),
      await runner.make(13, 'job.finished', { ...finishBody(built.id, 1, 'succeeded'), artifacts })]
    const b = await origin.make(14, 'job.announced', announceBody({ pipelineJob: 'other', cache: true, cacheKey }))
    const cached = fold([...ran, b, await origin.make(15, 'job.finished', { ...finishBody(b.id, 1, 'succeeded'), status: 'cached', cachedFrom: built.id })]).job(b.id)!
    expect(cached).toMatchObject({ status: 'cached', result: { cachedFrom: built.id, by: runner.id, artifacts } })
  })

  it('ignores the bids of a faulty author from its equivocation on', async () => {
    const origin = new Author()
    const r = new Author()
    const a = await origin.make(1, 'job.announced', announceBody())
    const bid = await r.make(2, 'job.bid', { job: a.id, attempt: 1, labels: [], score })
    const f = fold([a, bid])
    expect(f.job(a.id)!.bids).toHaveLength(1)
    const before = f.stateHash()
    f.markFaulty(r.id, bid.event.seq)
    expect(f.job(a.id)!.bids).toHaveLength(0)
    expect(f.stateHash()).not.toBe(before)
  })

  it('folds team membership: only admins add and remove members', async () => {
    const admin = new Author()
    const m = new Author()
    const outsider = new Author()
    const f = fold([
      await admin.make(1, 'team.created', { name: 'team', mode: 'strict' }),
      await admin.make(2, 'team.member_added', { peer: m.id, role: 'trusted' }),
      await m.make(3, 'team.member_added', { peer: outsider.id, role: 'admin' })])
    expect(f.team()).toEqual({ name: 'team', mode: 'strict', members: Object.fromEntries([[admin.id, 'admin'], [m.id, 'trusted']].sort()) })
  })
})
