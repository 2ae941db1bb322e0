import { describe, expect, it } from 'vitest'
import { generateSigner, MAX_EVIDENCE_PER_AUTHOR } from '../../src/index.ts'
import { announceBody, announces, bidBody, bidders, bids, bidsOn, chain, foldedHash, JOB, openLedger, useTempLedgerPath } from './helpers.ts'

describe('ledger ingest: equivocation', () => {
  const dbPath = useTempLedgerPath()

  it('keeps both versions, marks the author faulty, and remembers it across reopen', async () => {
    const path = dbPath()
    const { ledger, fold } = await openLedger(path)
    const origin = generateSigner()
    const eve = generateSigner()
    const jobs = await announces(origin, 3)
    const ids = jobs.map((j) => j.id)
    // Eve bids once on each job, seq 1..3.
    const evs = await bidsOn(eve, ids)
    await ledger.ingest([...jobs, ...evs])
    expect(bidders(fold, ids)).toEqual([[eve.peerId], [eve.peerId], [eve.peerId]])
    // Same author and seq 2, a different signed event: an announce, which the fold would show as a job if it took it.
    const twin = await chain(eve).next('job.announced', announceBody(9), { seq: 2, prev: evs[0]!.id })
    const res = await ledger.ingest([twin.bytes])
    expect(res.equivocations).toEqual([{ author: eve.peerId, seq: 2 }])
    expect(res.accepted).toEqual([])
    expect(res.rejected).toEqual([])
    expect(ledger.faulty()).toEqual({ [eve.peerId]: 2 })
    // The fold ignores Eve's bids from seq 2 on and never got the twin.
    expect(bidders(fold, ids)).toEqual([[eve.peerId], [], []])
    expect(fold.job(twin.id)).toBeUndefined()
    const expected = foldedHash([...jobs, ...evs], { [eve.peerId]: 2 })
    expect(fold.stateHash()).toBe(expected)
    expect(fold.stateHash()).not.toBe(foldedHash([...jobs, ...evs]))
    expect((await ledger.get(twin.id))?.id).toBe(twin.id)
    expect((await ledger.get(evs[1]!.id))?.id).toBe(evs[1]!.id)
    expect(ledger.versionVector()[eve.peerId]).toBe(3)
    expect(ledger.stats().equivocations).toBe(1)

    // Evidence already held is a duplicate, not a new equivocation.
    const again = await ledger.ingest([twin.bytes])
    expect(again).toMatchObject({ duplicates: 1, equivocations: [] })
    expect(fold.stateHash()).toBe(expected)
    await ledger.close()

    const reopened = await openLedger(path)
    expect(reopened.ledger.faulty()).toEqual({ [eve.peerId]: 2 })
    expect((await reopened.ledger.get(twin.id))?.event.body).toEqual(announceBody(9))
    // The reopened fold gets the chains and the faulty mark, not the evidence.
    expect(reopened.fold.stateHash()).toBe(expected)
    expect(bidders(reopened.fold, ids)).toEqual([[eve.peerId], [], []])
    expect(reopened.fold.job(twin.id)).toBeUndefined()
    await reopened.ledger.close()
  })

  it('finds an equivocation within one batch and lowers the faulty seq', async () => {
    const { ledger, fold } = await openLedger(dbPath())
    const origin = generateSigner()
    const eve = generateSigner()
    const jobs = await announces(origin, 3)
    const ids = jobs.map((j) => j.id)
    const evs = await bidsOn(eve, ids)
    // Of two versions in one batch the chain keeps the lower id; take a twin that sorts after evs[2],
    // so the chain keeps the bid and the evidence is an announce the fold would show if it took it.
    let twin3 = await chain(eve).next('job.announced', announceBody(9), { seq: 3, prev: evs[1]!.id })
    for (let n = 10; twin3.id < evs[2]!.id; n++) twin3 = await chain(eve).next('job.announced', announceBody(n), { seq: 3, prev: evs[1]!.id })
    const res = await ledger.ingest([...jobs, ...evs, twin3])
    expect(res.accepted.map((e) => e.id)).toEqual([...jobs, ...evs].map((e) => e.id))
    expect(res.equivocations).toEqual([{ author: eve.peerId, seq: 3 }])
    expect(ledger.faulty()).toEqual({ [eve.peerId]: 3 })
    expect(bidders(fold, ids)).toEqual([[eve.peerId], [eve.peerId], []])
    expect(fold.job(twin3.id)).toBeUndefined()
    expect(fold.stateHash()).toBe(foldedHash([...jobs, ...evs], { [eve.peerId]: 3 }))

    const twin1 = await chain(eve).next('job.bid', bidBody('ef'.repeat(32)), { seq: 1, prev: null })
    await ledger.ingest([twin1])
    expect(ledger.faulty()).toEqual({ [eve.peerId]: 1 })
    expect(bidders(fold, ids)).toEqual([[], [], []])
    expect(fold.stateHash()).toBe(foldedHash([...jobs, ...evs], { [eve.peerId]: 1 }))
    await ledger.close()
  })

  it('does not take a badly signed second version as evidence', async () => {
    const { ledger } = await openLedger(dbPath())
    const eve = generateSigner()
    const evs = await bids(eve, 2)
    await ledger.ingest(evs)
    const impostor = { ...eve, sign: generateSigner().sign }
    const fake = await chain(impostor).next('job.bid', bidBody(JOB), { seq: 2, prev: 'aa'.repeat(32) })
    const res = await ledger.ingest([fake])
    expect(res.rejected.map((r) => r.reason)).toEqual(['bad_signature'])
    expect(ledger.faulty()).toEqual({})
    await ledger.close()
  })

  it('caps the evidence kept per author but keeps counting', async () => {
    const { ledger } = await openLedger(dbPath())
    const eve = generateSigner()
    const [first] = await bids(eve, 1)
    await ledger.ingest([first!])
    const twins = []
    for (let i = 0; i < MAX_EVIDENCE_PER_AUTHOR + 3; i++) {
      twins.push(await chain(eve).next('job.bid', { ...bidBody(), attempt: i + 2 }, { seq: 1, prev: null }))
    }
    const res = await ledger.ingest(twins)
    expect(res.equivocations).toHaveLength(twins.length)
    const kept = await Promise.all(twins.map(async (t) => await ledger.get(t.id)))
    expect(kept.filter((k) => k !== undefined)).toHaveLength(MAX_EVIDENCE_PER_AUTHOR)
    await ledger.close()
  })
})
