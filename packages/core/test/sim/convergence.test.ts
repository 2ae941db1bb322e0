import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createFold, type DecodedEvent } from '../../src/index.ts'
import { chaosScenario } from '../../src/sim/index.ts'
import { completedRuns } from './runs.ts'

/** Every event a chaotic run wrote: awards that conflict, lost attempts, late finishes, retries. */
let events: DecodedEvent[] = []
let reference = ''
/** Per job, the runs that ran to their end, as the simulated runners recorded them (`runner#attempt`). */
const ran = new Map<string, string[]>()

const foldHash = (list: readonly DecodedEvent[], chunk = list.length): string => {
  const fold = createFold()
  for (let i = 0; i < list.length; i += Math.max(1, chunk)) fold.apply(list.slice(i, i + Math.max(1, chunk)))
  return fold.stateHash()
}

beforeAll(async () => {
  const { sim } = await chaosScenario({ seed: 7, jobs: 30, crashes: 3, partitions: 2 })
  events = sim.peers[0]!.replica.missingFor({}, Number.MAX_SAFE_INTEGER)
  for (const id of sim.announced()) ran.set(id, completedRuns(sim, id))
  await sim.close()
  reference = foldHash(events)
})

describe('the fold is order-independent', () => {
  it('has a rich event set to work on', () => {
    const types = new Set(events.map((e) => e.event.type))
    expect(events.length).toBeGreaterThan(150)
    for (const t of ['job.announced', 'job.bid', 'job.awarded', 'job.started', 'job.finished', 'job.lost']) expect(types).toContain(t)
  })

  it('gives the same stateHash for any permutation with duplicates, applied in any chunks', () => {
    fc.assert(fc.property(
      fc.shuffledSubarray(events.map((_, i) => i), { minLength: events.length, maxLength: events.length }),
      fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 50 }),
      fc.integer({ min: 1, max: 200 }),
      (order, dups, chunk) => {
        const list = order.map((i) => events[i]!)
        for (const d of dups) list.splice(d % (list.length + 1), 0, events[d]!)
        expect(foldHash(list, chunk)).toBe(reference)
      }), { numRuns: 40 })
  })

  it('folds two partitions separately and, merged, equals folding everything', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: events.length, maxLength: events.length }), (sides) => {
      const a = createFold()
      const b = createFold()
      const inA = events.filter((_, i) => sides[i] !== 1)
      const inB = events.filter((_, i) => sides[i] !== 0)
      a.apply(inA)
      b.apply(inB)
      a.apply(inB)
      b.apply([...inA].reverse())
      expect(a.stateHash()).toBe(reference)
      expect(b.stateHash()).toBe(reference)
    }), { numRuns: 30 })
  })

  it('accepts, in any subset of the events, only results that are runs their runner recorded as ended', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length }), (keep) => {
      const fold = createFold()
      fold.apply(events.filter((_, i) => keep[i]))
      for (const job of fold.jobs()) {
        if (job.result !== undefined && job.result.status !== 'cached') expect(ran.get(job.id), job.id).toContain(`${job.result.by}#${job.result.attempt}`)
      }
    }), { numRuns: 50 })
  })
})
