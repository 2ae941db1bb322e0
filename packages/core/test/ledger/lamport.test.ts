import { describe, expect, it } from 'vitest'
import { createEvent, generateSigner, LAMPORT_MAX_STEP } from '../../src/index.ts'
import { announceBody, bidBody, openLedger, useTempLedgerPath } from './helpers.ts'

describe('Lamport values a hostile author cannot poison', () => {
  const dbPath = useTempLedgerPath()

  it('refuses an event far above the highest held, and honest writes go on at small values', async () => {
    const { ledger } = await openLedger(dbPath())
    const me = generateSigner()
    const eve = generateSigner()
    await ledger.append(me, 'job.announced', announceBody(1))
    const huge = await createEvent(eve, { seq: 1, prev: null, lamport: Number.MAX_SAFE_INTEGER, time: 1 }, 'job.bid', bidBody())
    const res = await ledger.ingest([huge.bytes])
    expect(res.rejected).toEqual([expect.objectContaining({ reason: 'lamport_ahead', author: eve.peerId })])
    expect(ledger.stats().rejected.lamport_ahead).toBe(1)
    // Just within the step is taken: an honest peer far behind catches up that way.
    const near = await createEvent(eve, { seq: 1, prev: null, lamport: ledger.maxLamport() + LAMPORT_MAX_STEP, time: 1 }, 'job.bid', bidBody())
    expect((await ledger.ingest([near])).accepted).toHaveLength(1)
    const next = await ledger.append(me, 'job.announced', announceBody(2))
    expect(next.event.lamport).toBe(1 + LAMPORT_MAX_STEP + 1)
    expect(Number.isSafeInteger(next.event.lamport + LAMPORT_MAX_STEP)).toBe(true)
    await ledger.close()
  })

  it('refuses an event whose Lamport value is not above its author\'s previous one', async () => {
    const { ledger } = await openLedger(dbPath())
    const eve = generateSigner()
    const first = await createEvent(eve, { seq: 1, prev: null, lamport: 50, time: 1 }, 'job.bid', bidBody())
    const back = await createEvent(eve, { seq: 2, prev: first.id, lamport: 50, time: 2 }, 'job.bid', bidBody())
    const after = await createEvent(eve, { seq: 3, prev: back.id, lamport: 51, time: 3 }, 'job.bid', bidBody())
    const res = await ledger.ingest([first, back, after])
    expect(res.accepted.map((e) => e.id)).toEqual([first.id])
    expect(res.rejected.map((r) => r.reason)).toEqual(['bad_lamport', 'gap'])
    await ledger.close()
  })
})
