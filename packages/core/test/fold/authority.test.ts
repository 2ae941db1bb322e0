import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createFold, type DecodedEvent, type JobState } from '../../src/index.ts'
import { failoverCoordinators } from '../../src/fold/authority.ts'
import { Author, announceBody, finishBody, score } from '../helpers.ts'

const fold = (events: readonly DecodedEvent[]) => { const f = createFold(); f.apply(events); return f }
const bid = (job: string, attempt = 1) => ({ job, attempt, labels: [], score })
const ARTIFACT = { name: 'app', kind: 'binary' as const, digest: `sha256:${'ab'.repeat(32)}`, size: 3 }
const FORGED = { name: 'app', kind: 'binary' as const, digest: `sha256:${'cd'.repeat(32)}`, size: 3 }
const CACHE_KEY = 'e'.repeat(64)

/** A strict team: an admin, a trusted peer and `members` plain members, listed at lamports 1..n. */
async function strictTeam (members: number) {
  const admin = new Author()
  const trusted = new Author()
  const plain = Array.from({ length: members }, () => new Author())
  const events = [
    await admin.make(1, 'team.created', { name: 't', mode: 'strict' }),
    await admin.make(2, 'team.member_added', { peer: trusted.id, role: 'trusted' })
  ]
  for (const [i, m] of plain.entries()) events.push(await admin.make(3 + i, 'team.member_added', { peer: m.id, role: 'member' }))
  return { admin, trusted, plain, events }
}

/** Whether adding `extra` to `base` changes nothing the fold shows. */
function changesNothing (base: readonly DecodedEvent[], extra: readonly DecodedEvent[]): boolean {
  return fold(base).stateHash() === fold([...base, ...extra]).stateHash()
}

describe('who may write what, judged by the fold', () => {
  it('counts an award only from a coordinator of the job, and only to a bidder', async () => {
    const { admin, trusted, plain, events } = await strictTeam(6)
    const origin = plain[0]!
    const runner = plain[1]!
    const job = await origin.make(20, 'job.announced', announceBody())
    const base = [...events, job, await runner.make(21, 'job.bid', bid(job.id))]
    const allowed = failoverCoordinators(job.id, origin.id, [admin.id, trusted.id, ...plain.map((p) => p.id)])
    const outsider = plain.find((p) => p !== origin && p !== runner && !allowed.includes(p.id))!
    const failover = plain.find((p) => p !== origin && allowed.includes(p.id)) ?? admin
    expect(changesNothing(base, [await outsider.make(22, 'job.awarded', { job: job.id, attempt: 1, runner: runner.id })])).toBe(true)
    // Even the origin cannot award a peer that did not bid.
    expect(changesNothing(base, [await origin.make(22, 'job.awarded', { job: job.id, attempt: 1, runner: outsider.id })])).toBe(true)
    expect(fold([...base, await failover.make(23, 'job.awarded', { job: job.id, attempt: 1, runner: runner.id })]).job(job.id)).toMatchObject({ status: 'awarded', attempts: [{ runner: runner.id, awardedBy: failover.id }] })
  })

  it('voids a sensitive job\'s award to a peer that is neither trusted nor its origin', async () => {
    const { trusted, plain, events } = await strictTeam(2)
    const [origin, member] = plain as [Author, Author]
    const job = await origin.make(20, 'job.announced', announceBody({ sensitive: true }))
    const base = [...events, job, await member.make(21, 'job.bid', bid(job.id)), await trusted.make(21, 'job.bid', bid(job.id))]
    expect(changesNothing(base, [await origin.make(22, 'job.awarded', { job: job.id, attempt: 1, runner: member.id })])).toBe(true)
    expect(fold([...base, await origin.make(23, 'job.awarded', { job: job.id, attempt: 1, runner: trusted.id })]).job(job.id)!.status).toBe('awarded')
  })

  it('lets only the origin or an admin cancel, re-prioritize, supersede or retry a job', async () => {
    const { admin, plain, events } = await strictTeam(2)
    const [origin, member] = plain as [Author, Author]
    const job = await origin.make(20, 'job.announced', announceBody())
    const base = [...events, job]
    expect(changesNothing(base, [await member.make(21, 'job.cancel_requested', { job: job.id })])).toBe(true)
    expect(changesNothing(base, [await member.make(22, 'job.priority_changed', { job: job.id, priority: 'critical' })])).toBe(true)
    expect(changesNothing(base, [await member.make(23, 'job.superseded', { job: job.id, by: job.id })])).toBe(true)
    const cancelled = [...base, await origin.make(24, 'job.cancel_requested', { job: job.id })]
    expect(fold(cancelled).job(job.id)!.status).toBe('cancelled')
    expect(changesNothing(cancelled, [await member.make(25, 'job.retry_requested', { job: job.id })])).toBe(true)
    expect(fold([...cancelled, await admin.make(26, 'job.retry_requested', { job: job.id })]).job(job.id)).toMatchObject({ status: 'queued', attempt: 2 })
    expect(fold([...base, await admin.make(27, 'job.priority_changed', { job: job.id, priority: 'high' })]).job(job.id)!.priority).toBe('high')
  })

  it('takes `lost` only from the runner, its awarder or a coordinator', async () => {
    const { admin, trusted, plain, events } = await strictTeam(6)
    const origin = plain[0]!
    const runner = plain[1]!
    const job = await origin.make(20, 'job.announced', announceBody())
    const allowed = failoverCoordinators(job.id, origin.id, [admin.id, trusted.id, ...plain.map((p) => p.id)])
    const outsider = plain.find((p) => p !== origin && p !== runner && !allowed.includes(p.id))!
    const running = [...events, job, await runner.make(21, 'job.bid', bid(job.id)),
      await origin.make(22, 'job.awarded', { job: job.id, attempt: 1, runner: runner.id }),
      await runner.make(23, 'job.started', { job: job.id, attempt: 1 })]
    const lost = { job: job.id, attempt: 1, runner: runner.id, reason: 'runner_lost' as const }
    expect(changesNothing(running, [await outsider.make(24, 'job.lost', lost)])).toBe(true)
    expect(fold([...running, await origin.make(25, 'job.lost', lost)]).job(job.id)).toMatchObject({ status: 'queued', attempt: 2 })
    expect(fold([...running, await runner.make(26, 'job.lost', lost)]).job(job.id)).toMatchObject({ status: 'queued', attempt: 2 })
  })

  describe('a cached finish', () => {
    async function built (sensitive = false) {
      const { admin, trusted, plain, events } = await strictTeam(6)
      const [origin, member] = plain as [Author, Author]
      const src = await origin.make(20, 'job.announced', announceBody({ cache: true, cacheKey: CACHE_KEY, sensitive }))
      const ran = [...events, src, await trusted.make(21, 'job.bid', bid(src.id)),
        await origin.make(22, 'job.awarded', { job: src.id, attempt: 1, runner: trusted.id }),
        await trusted.make(23, 'job.finished', { ...finishBody(src.id, 1, 'succeeded'), artifacts: [ARTIFACT] })]
      const listed = [admin.id, trusted.id, ...plain.map((p) => p.id)]
      /** A listed peer that may not coordinate `job` of `member`. */
      const outsiderFor = (job: string) => plain.find((p) => p !== member && !failoverCoordinators(job, member.id, listed).includes(p.id))!
      return { trusted, origin, member, src, ran, outsiderFor }
    }
    const cachedBody = (job: string, cachedFrom?: string) => ({ ...finishBody(job, 1, 'succeeded'), status: 'cached' as const, artifacts: [FORGED], ...(cachedFrom === undefined ? {} : { cachedFrom }) })

    it('takes the named source\'s artifacts, as its runner signed them, not the ones it lists', async () => {
      const { trusted, member, src, ran } = await built()
      const job = await member.make(30, 'job.announced', announceBody({ cache: true, cacheKey: CACHE_KEY }))
      const state = fold([...ran, job, await member.make(31, 'job.finished', cachedBody(job.id, src.id))]).job(job.id)!
      expect(state).toMatchObject({ status: 'cached', result: { cachedFrom: src.id, by: trusted.id, artifacts: [ARTIFACT] } })
    })

    it('changes nothing without a real earlier build behind it', async () => {
      const { trusted, member, src, ran, outsiderFor } = await built()
      const job = await member.make(30, 'job.announced', announceBody({ cache: true, cacheKey: CACHE_KEY }))
      const other = await member.make(31, 'job.announced', announceBody({ cache: true, cacheKey: 'f'.repeat(64), pipelineJob: 'x' }))
      const base = [...ran, job, other]
      expect(changesNothing(base, [await member.make(32, 'job.finished', cachedBody(job.id))])).toBe(true)
      expect(changesNothing(base, [await member.make(33, 'job.finished', cachedBody(other.id, src.id))])).toBe(true)
      expect(changesNothing(base, [await member.make(34, 'job.finished', cachedBody(job.id, other.id))])).toBe(true)
      expect(changesNothing(base, [await outsiderFor(job.id).make(35, 'job.finished', cachedBody(job.id, src.id))])).toBe(true)
      // A source that succeeds only after the cached finish in the order does not count.
      const later = await member.make(40, 'job.announced', announceBody({ cache: true, cacheKey: CACHE_KEY, pipelineJob: 'later' }))
      const early = await member.make(41, 'job.finished', cachedBody(job.id, later.id))
      const laterRan = [later, await trusted.make(42, 'job.bid', bid(later.id)),
        await member.make(43, 'job.awarded', { job: later.id, attempt: 1, runner: trusted.id }),
        await trusted.make(44, 'job.finished', finishBody(later.id, 1, 'succeeded'))]
      const f = fold([...base, ...laterRan, early])
      expect(f.job(later.id)!.status).toBe('succeeded')
      expect(f.job(job.id)!.status).toBe('queued')
    })

    it('never passes a sensitive job\'s result to a member\'s own sensitive job with the same key', async () => {
      const { member, src, ran } = await built(true)
      // The member copies the key from the ledger into a sensitive job of its own and claims the result.
      const job = await member.make(30, 'job.announced', announceBody({ cache: true, cacheKey: CACHE_KEY, sensitive: true }))
      expect(changesNothing([...ran, job], [await member.make(31, 'job.finished', cachedBody(job.id, src.id))])).toBe(true)
    })

    it('never passes a sensitive job\'s result to a job that is not sensitive', async () => {
      const { member, src, ran } = await built(true)
      const job = await member.make(30, 'job.announced', announceBody({ cache: true, cacheKey: CACHE_KEY }))
      expect(changesNothing([...ran, job], [await member.make(31, 'job.finished', cachedBody(job.id, src.id))])).toBe(true)
    })
  })

  it('judges membership at the event\'s place in the order, whatever order peers learn it in', async () => {
    const { admin, plain, events } = await strictTeam(2)
    const [origin, gone] = plain as [Author, Author]
    const job = await origin.make(20, 'job.announced', announceBody())
    const before = await gone.make(21, 'job.bid', bid(job.id))
    const removal = await admin.make(22, 'team.member_removed', { peer: gone.id })
    const after = await gone.make(23, 'job.announced', announceBody({ pipelineJob: 'after' }))
    const all = [...events, job, before, removal, after]
    const state = (f: ReturnType<typeof fold>): JobState => f.job(job.id)!
    // The bid made while a member counts; the announce made after the removal makes no job.
    expect(state(fold(all)).bids.map((b) => b.peer)).toEqual([gone.id])
    expect(fold(all).job(after.id)).toBeUndefined()
    fc.assert(fc.property(fc.shuffledSubarray(all, { minLength: all.length }), fc.integer({ min: 1, max: all.length }), (order, cut) => {
      const f = createFold()
      f.apply(order.slice(0, cut))
      f.apply(order.slice(cut))
      return f.stateHash() === fold(all).stateHash()
    }), { numRuns: 50 })
  })

  it('counts no event a removed peer wrote after its removal (by seq), however early its Lamport value puts it', async () => {
    const { admin, plain, events } = await strictTeam(2)
    const [origin, gone] = plain as [Author, Author]
    const job = await origin.make(20, 'job.announced', announceBody())
    const early = await gone.make(21, 'job.bid', bid(job.id))
    const removal = await admin.make(40, 'team.member_removed', { peer: gone.id, upToSeq: early.event.seq })
    // Written after the removal (seq 2), but dated before it: a job and a second admin.
    const backdated = await gone.make(22, 'job.announced', announceBody({ pipelineJob: 'late' }))
    const f = fold([...events, job, early, removal, backdated])
    expect(f.job(job.id)!.bids.map((b) => b.peer)).toEqual([gone.id])
    expect(f.job(backdated.id)).toBeUndefined()
    const second = new Author()
    const promote = await admin.make(30, 'team.member_added', { peer: second.id, role: 'admin' })
    const demoted = await admin.make(41, 'team.member_removed', { peer: second.id, upToSeq: 0 })
    const puppet = new Author()
    const sneak = await second.make(31, 'team.member_added', { peer: puppet.id, role: 'admin' })
    expect(fold([...events, promote, demoted, sneak]).team().members[puppet.id]).toBeUndefined()
  })

  it('says which roles a peer held at an event, as the fold judged its author there, and now', async () => {
    const { admin, trusted, plain, events } = await strictTeam(1)
    const [member] = plain as [Author]
    const outsider = new Author()
    const at = await member.make(10, 'job.announced', announceBody())
    const removal = await admin.make(11, 'team.member_removed', { peer: member.id, upToSeq: at.event.seq })
    const backdated = await member.make(9, 'job.announced', announceBody({ pipelineJob: 'late' }))
    const f = fold([...events, at, removal, backdated])
    expect(f.rolesAt(admin.id, at)).toEqual(['member', 'trusted', 'admin'])
    expect(f.rolesAt(trusted.id, at)).toEqual(['member', 'trusted'])
    expect(f.rolesAt(member.id, at)).toEqual(['member'])
    // Written after its removal (by seq) though dated before it: the fold counts nothing of it.
    expect(f.rolesAt(member.id, backdated)).toEqual([])
    expect(f.job(backdated.id)).toBeUndefined()
    expect(f.rolesAt(outsider.id, at)).toEqual([])
    expect(f.rolesAt(member.id)).toEqual([])
    expect(f.rolesAt(trusted.id)).toEqual(['member', 'trusted'])
    // In an open team every peer with the key is a member.
    expect(fold([]).rolesAt(outsider.id, at)).toEqual(['member'])
  })

  it('founds the team only with the team file\'s admin, so a member cannot found it over again', async () => {
    const admin = new Author()
    const rogue = new Author()
    const events = [await admin.make(2, 'team.created', { name: 't', mode: 'strict' }), await admin.make(3, 'team.member_added', { peer: rogue.id, role: 'member' })]
    // The rogue's own team.created sorts first in the order; without the binding it would found the team.
    const coup = [await rogue.make(1, 'team.created', { name: 'mine', mode: 'open' })]
    const bound = createFold({ admin: admin.id })
    bound.apply([...events, ...coup])
    expect(bound.team()).toEqual({ name: 't', mode: 'strict', members: Object.fromEntries([[admin.id, 'admin'], [rogue.id, 'member']].sort()) })
    expect(fold([...events, ...coup]).team().name).toBe('mine')
  })

  it('ignores every event of an equivocating author from the forked seq on, and its jobs from there are gone', async () => {
    const origin = new Author()
    const runner = new Author()
    const early = await origin.make(1, 'job.announced', announceBody())
    const late = await origin.make(2, 'job.announced', announceBody({ pipelineJob: 'late' }))
    const events = [early, late, await runner.make(3, 'job.bid', bid(early.id)), await origin.make(4, 'job.awarded', { job: early.id, attempt: 1, runner: runner.id })]
    const f = fold(events)
    expect(f.job(early.id)!.status).toBe('awarded')
    const changes = f.markFaulty(origin.id, 2)
    expect(f.job(late.id)).toBeUndefined()
    expect(f.job(early.id)!.status).toBe('queued')
    expect(changes).toEqual(expect.arrayContaining([{ job: late.id, before: 'queued', after: undefined }, { job: early.id, before: 'awarded', after: 'queued' }]))
    // A peer that held the fork's other side, with the same evidence, folds the same state.
    const g = createFold()
    g.markFaulty(origin.id, 2)
    g.apply([early, events[2]!])
    expect(g.stateHash()).toBe(f.stateHash())
  })
})
