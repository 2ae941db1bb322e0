import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateSigner, type DecodedEvent, type Ledger, type Signer } from '../../src/index.ts'
import { announceBody, bidBody, chain, openLedger, tempDir } from './helpers.ts'

/** An author that writes two chains sharing their first `forkAt - 1` events: the same seqs, signed twice. */
async function equivocator (signer: Signer, jobs: readonly string[], forkAt: number, length: number): Promise<[DecodedEvent[], DecodedEvent[]]> {
  const a = chain(signer, 2_000)
  const shared: DecodedEvent[] = []
  for (let seq = 1; seq < forkAt; seq++) shared.push(await a.next('job.bid', bidBody(jobs[seq % jobs.length])))
  const forks: [DecodedEvent[], DecodedEvent[]] = [[...shared], [...shared]]
  for (const [side, fork] of forks.entries()) {
    let prev = shared.at(-1)?.id ?? null
    for (let seq = forkAt; seq <= length; seq++) {
      const c = chain(signer, 2_000 + seq * 10 + side)
      // One fork bids, the other announces jobs: the two sides fold differently.
      const ev = side === 0
        ? await c.next('job.bid', bidBody(jobs[seq % jobs.length]), { seq, prev })
        : await c.next('job.announced', announceBody(100 + seq), { seq, prev })
      fork.push(ev)
      prev = ev.id
    }
  }
  return forks
}

/** One round of sync from `from` to `to`, as the mesh runs it: vector and faulty map out, missing events and evidence back. */
async function pull (to: Ledger, from: Ledger): Promise<number> {
  const bytes = await from.missingFor(to.versionVector(), { maxEvents: 50, maxBytes: 1 << 20 }, { faulty: to.faulty(), tips: await to.tips() })
  if (bytes.length === 0) return 0
  const res = await to.ingest(bytes)
  return res.accepted.length + res.equivocations.length
}

describe('ledgers with equivocating authors converge once synced', () => {
  it('gives every ledger the same state and faulty marks, whatever fork and order each saw first', async () => {
    const origin = generateSigner()
    const honest = generateSigner()
    const o = chain(origin)
    const jobs: DecodedEvent[] = []
    for (let i = 0; i < 4; i++) jobs.push(await o.next('job.announced', announceBody(i)))
    const ids = jobs.map((j) => j.id)
    const h = chain(honest, 500)
    const bids: DecodedEvent[] = []
    for (const id of ids) bids.push(await h.next('job.bid', bidBody(id)))
    const eves = [generateSigner(), generateSigner()]
    const forks = [await equivocator(eves[0]!, ids, 2, 5), await equivocator(eves[1]!, ids, 1, 3)]
    const tmp = await tempDir()
    let run = 0
    try {
      await fc.assert(fc.asyncProperty(
        fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 2, maxLength: 2 }), fc.integer({ min: 0, max: 0xffff })), { minLength: 3, maxLength: 3 }),
        async (views) => {
          run++
          const opened = await Promise.all(views.map(async (_, i) => await openLedger(`${tmp.dir}/${run}-${i}`)))
          const ledgers = opened.map((o) => o.ledger)
          try {
            // Each ledger sees the honest events and one side of each fork, shuffled, in small batches.
            await Promise.all(ledgers.map(async (ledger, i) => {
              const [sides, seed] = views[i]!
              const events = [...jobs, ...bids, ...forks.flatMap((f, k) => f[sides[k]!]!)]
              const shuffled = fc.sample(fc.shuffledSubarray(events, { minLength: events.length }), { numRuns: 1, seed })[0]!
              for (let at = 0; at < shuffled.length; at += 3) await ledger.ingest(shuffled.slice(at, at + 3))
              // What a gap made it refuse, its authors' own peers send again (as sync with them would).
              await ledger.ingest(shuffled)
            }))
            for (let round = 0, moved = 1; moved > 0 && round < 20; round++) {
              moved = 0
              for (const to of ledgers) for (const from of ledgers) if (to !== from) moved += await pull(to, from)
            }
            expect(new Set(opened.map((o) => o.fold.stateHash())).size).toBe(1)
            // An author is known faulty everywhere once any two ledgers held different sides of its fork.
            const forkedAt = [2, 1]
            const expected = Object.fromEntries(eves.flatMap((eve, k) => new Set(views.map(([sides]) => sides[k])).size > 1 ? [[eve.peerId, forkedAt[k]]] : []))
            for (const l of ledgers) expect(l.faulty()).toEqual(expected)
          } finally {
            await Promise.all(ledgers.map(async (l) => { await l.close() }))
          }
        }), { numRuns: 25 })
    } finally {
      await tmp.remove()
    }
  }, 120_000)
})
