import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { DecodedEvent } from '../../src/index.ts'
import { GroupIndex } from '../../src/fold/groups.ts'
import { compareKeys, keyOf } from '../../src/fold/order.ts'
import { Author, announceBody } from '../helpers.ts'

/** Every job's signals, as one index holds them after `batches` arrive batch by batch. */
function signalsAfter (batches: DecodedEvent[][]): Record<string, unknown> {
  const index = new GroupIndex()
  for (const batch of batches) {
    const keys = new Set<string>()
    for (const e of batch) {
      const k = index.add(e)
      if (k !== undefined) keys.add(k)
    }
    for (const k of keys) index.resignal(k)
  }
  return Object.fromEntries(batches.flat().map((e) => [e.id, index.signalsOf(e.id)]))
}

/** By definition: each job hears of the first newer job of its group and the first newer one that cancels. */
function expected (announces: DecodedEvent[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const e of announces) {
    if (e.event.type !== 'job.announced') continue
    const mine = e.event.body.group!.name
    const newer = announces.filter((o) => o.event.type === 'job.announced' && o.event.body.group!.name === mine && compareKeys(keyOf(o), keyOf(e)) > 0)
      .sort((a, b) => compareKeys(keyOf(a), keyOf(b)))
    const signal = (o: DecodedEvent): unknown => ({ key: keyOf(o), at: o.event.time, by: o.id, kind: (o.event.body as { group: { cancelInProgress: boolean } }).group.cancelInProgress ? 'cancel' : 'supersede' })
    const cancel = newer.find((o) => (o.event.body as { group: { cancelInProgress: boolean } }).group.cancelInProgress)
    out[e.id] = [...(newer[0] === undefined ? [] : [signal(newer[0])]), ...(cancel === undefined || cancel === newer[0] ? [] : [signal(cancel)])]
  }
  return out
}

describe('concurrency group signals', () => {
  it('are the same whatever order and batches the announces of a group arrive in (property)', async () => {
    const origin = new Author()
    const announces: DecodedEvent[] = []
    for (let i = 0; i < 24; i++) {
      const group = { name: i % 5 === 0 ? 'other' : 'main', cancelInProgress: i % 3 === 0 }
      announces.push(await origin.make(i + 1, 'job.announced', announceBody({ group, commit: i.toString(16).padStart(40, '0') })))
    }
    const whole = expected(announces)
    await fc.assert(fc.property(
      fc.shuffledSubarray(announces, { minLength: announces.length }),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 30 }),
      (order, sizes) => {
        const batches: DecodedEvent[][] = []
        for (let i = 0, s = 0; i < order.length; s++) {
          const n = sizes[s % sizes.length]!
          batches.push(order.slice(i, i + n))
          i += n
        }
        expect(signalsAfter(batches)).toEqual(whole)
      }
    ), { numRuns: 200 })
  })
})
