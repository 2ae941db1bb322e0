import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { generateSigner, type DecodedEvent, type Ledger } from '../../src/index.ts'
import { announces, foldedHash, openLedger, tempDir } from './helpers.ts'

const AUTHORS = 4
const PER_AUTHOR = 8

/** Pulls from `from` into `to` in capped rounds until nothing is missing; returns the rounds taken. */
async function pull (from: Ledger, to: Ledger, limits = { maxEvents: 5, maxBytes: 3000 }): Promise<number> {
  for (let round = 1; round < 100; round++) {
    const missing = await from.missingFor(to.versionVector(), limits)
    if (missing.length === 0) return round
    expect(missing.length).toBeLessThanOrEqual(limits.maxEvents)
    const res = await to.ingest(missing)
    expect(res.rejected).toEqual([])
  }
  throw new Error('sync did not converge')
}

describe('ledger sync: versionVector and missingFor', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  let chains: DecodedEvent[][]
  beforeAll(async () => {
    tmp = await tempDir()
    // Announces: every event is a job of its own in the fold, so its state hash tells whether it got every event.
    chains = await Promise.all(Array.from({ length: AUTHORS }, async () => await announces(generateSigner(), PER_AUTHOR)))
  })
  afterAll(async () => { await tmp.remove() })

  it('two ledgers holding random subsets converge after exchanging both ways', async () => {
    let n = 0
    const subset = fc.array(fc.tuple(fc.nat(AUTHORS - 1), fc.nat(PER_AUTHOR - 1)), { maxLength: AUTHORS * PER_AUTHOR })
    await fc.assert(fc.asyncProperty(subset, subset, fc.boolean(), async (pickA, pickB, tinyBytes) => {
      n++
      const a = await openLedger(join(tmp.dir, `a${n}`))
      const b = await openLedger(join(tmp.dir, `b${n}`))
      try {
        // Each side takes whatever contiguous prefixes its random picks allow, in random order.
        await a.ledger.ingest(pickA.map(([x, i]) => chains[x]![i]!))
        await b.ledger.ingest(pickB.map(([x, i]) => chains[x]![i]!))
        const expected: Record<string, number> = {}
        for (const vv of [a.ledger.versionVector(), b.ledger.versionVector()]) {
          for (const [author, seq] of Object.entries(vv)) expected[author] = Math.max(expected[author] ?? 0, seq)
        }
        const limits = { maxEvents: 5, maxBytes: tinyBytes ? 1 : 3000 }
        await pull(a.ledger, b.ledger, limits)
        await pull(b.ledger, a.ledger, limits)
        expect(a.ledger.versionVector()).toEqual(expected)
        expect(b.ledger.versionVector()).toEqual(expected)
        expect(a.fold.stateHash()).toBe(b.fold.stateHash())
        expect(a.fold.stateHash()).toBe(foldedHash(chains.flat().filter((e) => e.event.seq <= (expected[e.event.author] ?? 0))))
      } finally {
        await a.ledger.close()
        await b.ledger.close()
      }
    }), { numRuns: 30 })
  })

  it('missingFor caps by events and bytes, sends at least one event, and ignores junk in the vector', async () => {
    const { ledger } = await openLedger(join(tmp.dir, 'caps'))
    await ledger.ingest(chains.flat())
    const [first, second] = chains.map((c) => c[0]!.event.author).sort()
    const all = await ledger.missingFor({}, { maxEvents: 1000, maxBytes: 1e9 })
    expect(all).toHaveLength(AUTHORS * PER_AUTHOR)
    expect(all.slice(0, PER_AUTHOR).map((b) => JSON.parse(Buffer.from(b).toString()).seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    const two = all[0]!.length + all[1]!.length
    expect(await ledger.missingFor({}, { maxEvents: 3, maxBytes: 1e9 })).toHaveLength(3)
    expect(await ledger.missingFor({}, { maxEvents: 100, maxBytes: two })).toHaveLength(2)
    expect(await ledger.missingFor({}, { maxEvents: 100, maxBytes: 1 })).toHaveLength(1)
    const vv = JSON.parse('{"__proto__": 5, "someone": -1}') as Record<string, unknown>
    for (const c of chains) vv[c[0]!.event.author] = PER_AUTHOR
    vv[first!] = 'eight'
    vv[second!] = PER_AUTHOR - 2.5
    const missing = await ledger.missingFor(vv, { maxEvents: 100, maxBytes: 1e9 })
    expect(missing).toHaveLength(PER_AUTHOR * 2)
    await ledger.close()
  })
})
