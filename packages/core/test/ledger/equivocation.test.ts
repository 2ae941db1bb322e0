import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateSigner, MAX_EVIDENCE_PER_AUTHOR } from '../../src/index.ts'
import { bidBody, bids, chain, JOB, openLedger, tempDir } from './helpers.ts'

describe('ledger ingest: equivocation', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  beforeEach(async () => { tmp = await tempDir() })
  afterEach(async () => { await tmp.remove() })

  it('keeps both versions, marks the author faulty, and remembers it across reopen', async () => {
    const path = join(tmp.dir, 'db')
    const { ledger, fold } = await openLedger(path)
    const eve = generateSigner()
    const evs = await bids(eve, 3)
    await ledger.ingest(evs)
    // Same author and seq 2, different body: a second signed version.
    const twin = await chain(eve).next('job.bid', bidBody('cd'.repeat(32)), { seq: 2, prev: evs[0]!.id })
    const res = await ledger.ingest([twin.bytes])
    expect(res.equivocations).toEqual([{ author: eve.peerId, seq: 2 }])
    expect(res.accepted).toEqual([])
    expect(res.rejected).toEqual([])
    expect(fold.faultyCalls).toEqual([{ author: eve.peerId, fromSeq: 2 }])
    expect(fold.applied.has(twin.id)).toBe(false)
    expect(ledger.faulty()).toEqual({ [eve.peerId]: 2 })
    expect((await ledger.get(twin.id))?.id).toBe(twin.id)
    expect((await ledger.get(evs[1]!.id))?.id).toBe(evs[1]!.id)
    expect(ledger.versionVector()[eve.peerId]).toBe(3)
    expect(ledger.stats().equivocations).toBe(1)

    // Evidence already held is a duplicate, not a new equivocation.
    const again = await ledger.ingest([twin.bytes])
    expect(again).toMatchObject({ duplicates: 1, equivocations: [] })
    await ledger.close()

    const reopened = await openLedger(path)
    expect(reopened.ledger.faulty()).toEqual({ [eve.peerId]: 2 })
    expect(reopened.fold.faultyCalls).toEqual([{ author: eve.peerId, fromSeq: 2 }])
    expect((await reopened.ledger.get(twin.id))?.event.body).toEqual(bidBody('cd'.repeat(32)))
    expect([...reopened.fold.applied.keys()].sort()).toEqual(evs.map((e) => e.id).sort())
    await reopened.ledger.close()
  })

  it('finds an equivocation within one batch and lowers the faulty seq', async () => {
    const { ledger, fold } = await openLedger(join(tmp.dir, 'db'))
    const eve = generateSigner()
    const evs = await bids(eve, 3)
    const twin3 = await chain(eve).next('job.bid', bidBody('cd'.repeat(32)), { seq: 3, prev: evs[1]!.id })
    const res = await ledger.ingest([...evs, twin3])
    expect(res.accepted).toHaveLength(3)
    expect(res.equivocations).toEqual([{ author: eve.peerId, seq: 3 }])
    const twin1 = await chain(eve).next('job.bid', bidBody('ef'.repeat(32)), { seq: 1, prev: null })
    await ledger.ingest([twin1])
    expect(ledger.faulty()).toEqual({ [eve.peerId]: 1 })
    expect(fold.faultyCalls).toEqual([{ author: eve.peerId, fromSeq: 3 }, { author: eve.peerId, fromSeq: 1 }])
    await ledger.close()
  })

  it('does not take a badly signed second version as evidence', async () => {
    const { ledger } = await openLedger(join(tmp.dir, 'db'))
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
    const { ledger } = await openLedger(join(tmp.dir, 'db'))
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
