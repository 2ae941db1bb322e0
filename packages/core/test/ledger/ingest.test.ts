import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeEvent, generateSigner, LedgerClosedError, MAX_EVENT_BYTES, type JobChange, type DecodedEvent } from '../../src/index.ts'
import { announceBody, announces, bidBody, bids, chain, foldedHash, JOB, openLedger, signRaw, useTempLedgerPath } from './helpers.ts'

describe('ledger ingest: chain rules', () => {
  const dbPath = useTempLedgerPath()

  it('accepts a chain in any batch order and counts duplicates, in the batch and across batches', async () => {
    const { ledger, fold } = await openLedger(dbPath())
    const alice = generateSigner()
    // Announces, so that every event the fold takes shows as a job of its own.
    const evs = await announces(alice, 5)
    const first = await ledger.ingest([evs[2]!.bytes, evs[0]!.bytes, evs[1]!.bytes, evs[0]!.bytes])
    expect(first.accepted.map((e) => e.event.seq)).toEqual([1, 2, 3])
    expect(first.duplicates).toBe(1)
    expect(fold.stateHash()).toBe(foldedHash(evs.slice(0, 3)))
    const second = await ledger.ingest(evs.map((e) => e.bytes))
    expect(second.accepted.map((e) => e.event.seq)).toEqual([4, 5])
    expect(second.duplicates).toBe(3)
    expect(second.rejected).toEqual([])
    expect(ledger.versionVector()).toEqual({ [alice.peerId]: 5 })
    expect(ledger.size()).toBe(5)
    expect([...fold.jobs()].map((j) => j.id).sort()).toEqual(evs.map((e) => e.id).sort())
    expect(fold.stateHash()).toBe(foldedHash(evs))
    expect(ledger.stats()).toMatchObject({ accepted: 5, duplicates: 4, equivocations: 0 })
    await ledger.close()
  })

  it('rejects a gap and a wrong prev without storing them', async () => {
    const { ledger } = await openLedger(dbPath())
    const alice = generateSigner()
    const evs = await bids(alice, 3)
    await ledger.ingest([evs[0]!])
    const gap = await ledger.ingest([evs[2]!.bytes])
    expect(gap.rejected).toMatchObject([{ reason: 'gap', id: evs[2]!.id, author: alice.peerId, seq: 3 }])
    const forged = await chain(alice).next('job.bid', bidBody(), { seq: 2, prev: 'f'.repeat(64) })
    const badPrev = await ledger.ingest([forged.bytes])
    expect(badPrev.rejected).toMatchObject([{ reason: 'bad_prev', seq: 2 }])
    expect(ledger.versionVector()[alice.peerId]).toBe(1)
    expect(ledger.stats().rejected).toMatchObject({ gap: 1, bad_prev: 1 })
    await ledger.close()
  })

  it('a bad signature rejects that event and every later one of its author in the batch', async () => {
    const { ledger } = await openLedger(dbPath())
    const alice = generateSigner()
    const bob = generateSigner()
    // Alice's seq 2 carries a signature by another key; seq 3 and 4 chain onto it.
    const c = chain(alice)
    const one = await c.next('job.bid', bidBody())
    const header = (seq: number, prev: string) => ({ v: 1, author: alice.peerId, seq, prev, lamport: seq, time: 1, type: 'job.bid', body: bidBody() })
    const forged = decodeEvent(await signRaw(bob, header(2, one.id)))
    if (!forged.ok) throw new Error(forged.detail)
    const three = decodeEvent(await signRaw(alice, header(3, forged.value.id)))
    if (!three.ok) throw new Error(three.detail)
    const four = await signRaw(alice, header(4, three.value.id))
    const bobs = await bids(bob, 2)
    const res = await ledger.ingest([one.bytes, forged.value.bytes, three.value.bytes, four, ...bobs.map((e) => e.bytes)])
    expect(res.accepted.map((e) => [e.event.author, e.event.seq])).toEqual([[alice.peerId, 1], [bob.peerId, 1], [bob.peerId, 2]])
    expect(res.rejected.map((r) => [r.reason, r.seq])).toEqual([['bad_signature', 2], ['gap', 3], ['gap', 4]])
    expect(ledger.versionVector()).toEqual({ [alice.peerId]: 1, [bob.peerId]: 2 })
    // A genuine seq 2 still gets in later.
    const again = await ledger.ingest([await c.next('job.bid', bidBody())])
    expect(again.accepted).toHaveLength(1)
    await ledger.close()
  })

  it('rejects unknown types, over-size, malformed and schema-breaking input with reasons', async () => {
    const { ledger } = await openLedger(dbPath())
    const alice = generateSigner()
    const base = { v: 1, author: alice.peerId, seq: 1, prev: null, lamport: 1, time: 1 }
    const unknown = await signRaw(alice, { ...base, type: 'job.teleported', body: {} })
    const badBody = await signRaw(alice, { ...base, type: 'job.bid', body: { job: 'nope' } })
    const huge = await signRaw(alice, { ...base, type: 'job.cancel_requested', body: { job: JOB, reason: 'x'.repeat(MAX_EVENT_BYTES) } })
    const res = await ledger.ingest([unknown, badBody, huge, Buffer.from('{not json'), new Uint8Array(0)])
    expect(res.rejected.map((r) => r.reason)).toEqual(['unknown_type', 'bad_schema', 'too_large', 'malformed', 'malformed'])
    expect(res.accepted).toEqual([])
    expect(ledger.size()).toBe(0)
    await ledger.close()
  })

  it('rejects authors that are not members', async () => {
    const alice = generateSigner()
    const mallory = generateSigner()
    const { ledger } = await openLedger(dbPath(), { isMember: (peer) => peer === alice.peerId })
    const res = await ledger.ingest([...(await bids(alice, 1)), ...(await bids(mallory, 2))])
    expect(res.accepted).toHaveLength(1)
    expect(res.rejected.map((r) => [r.reason, r.author])).toEqual([['not_member', mallory.peerId], ['not_member', mallory.peerId]])
    expect(ledger.stats().rejected.not_member).toBe(2)
    await ledger.close()
  })

  it('never throws for arbitrary bytes', async () => {
    const { ledger } = await openLedger(dbPath())
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), async (inputs) => {
      const res = await ledger.ingest(inputs)
      expect(res.accepted).toEqual([])
      expect(res.rejected).toHaveLength(inputs.length)
    }), { numRuns: 50 })
    await ledger.close()
  })

  it('serializes concurrent ingests: a later call sees what an earlier one stored', async () => {
    const { ledger } = await openLedger(dbPath())
    const alice = generateSigner()
    const evs = await bids(alice, 30)
    const results = await Promise.all([0, 10, 20].map(async (from) => await ledger.ingest(evs.slice(from, from + 10))))
    expect(results.map((r) => r.accepted.length)).toEqual([10, 10, 10])
    expect(ledger.versionVector()[alice.peerId]).toBe(30)
    await ledger.close()
    await expect(ledger.ingest(evs)).rejects.toBeInstanceOf(LedgerClosedError)
  })

  it('append numbers its own events after the head and the highest lamport seen', async () => {
    const { ledger } = await openLedger(dbPath())
    const me = generateSigner()
    const other = generateSigner()
    await ledger.ingest([await chain(other, 41).next('job.bid', bidBody())])
    const first = await ledger.append(me, 'job.announced', announceBody())
    expect(first.event).toMatchObject({ seq: 1, prev: null, lamport: 42 })
    const [second, third] = await Promise.all([ledger.append(me, 'job.bid', bidBody(first.id)), ledger.append(me, 'job.awarded', { job: first.id, attempt: 1, runner: me.peerId })])
    expect(second!.event).toMatchObject({ seq: 2, prev: first.id, lamport: 43 })
    expect(third!.event).toMatchObject({ seq: 3, prev: second!.id, lamport: 44 })
    expect(ledger.maxLamport()).toBe(44)
    await ledger.close()
  })

  it('indexes events by job and jobs by status, and tells listeners', async () => {
    const { ledger } = await openLedger(dbPath())
    const me = generateSigner()
    const seen: { events: readonly DecodedEvent[], changes: readonly JobChange[] }[] = []
    const off = ledger.onAccepted((events, changes) => { seen.push({ events, changes }) })
    const job = await ledger.append(me, 'job.announced', announceBody())
    const other = await ledger.append(me, 'job.announced', announceBody(1))
    expect(await ledger.jobsByState('queued')).toEqual([job.id, other.id].sort())
    // The fold takes an award only for a runner that bid.
    await ledger.append(me, 'job.bid', bidBody(job.id))
    const award = await ledger.append(me, 'job.awarded', { job: job.id, attempt: 1, runner: me.peerId })
    off()
    await ledger.append(me, 'job.started', { job: job.id, attempt: 1 })
    expect(await ledger.jobsByState('queued')).toEqual([other.id])
    expect(await ledger.jobsByState('running')).toEqual([job.id])
    expect(await ledger.jobsByState('awarded')).toEqual([])
    expect((await ledger.eventsForJob(job.id)).map((e) => e.event.type)).toEqual(['job.announced', 'job.bid', 'job.awarded', 'job.started'])
    expect(await ledger.eventsForJob('nope')).toEqual([])
    expect(Buffer.from((await ledger.get(award.id))!.bytes).equals(award.bytes)).toBe(true)
    expect(await ledger.get('0'.repeat(64))).toBeUndefined()
    expect(seen.map((s) => s.changes)).toEqual([
      [{ job: job.id, before: undefined, after: 'queued' }],
      [{ job: other.id, before: undefined, after: 'queued' }],
      [],
      [{ job: job.id, before: 'queued', after: 'awarded' }]
    ])
    await ledger.close()
  })
})
