import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { buildRowMap, groupsHolding } from '../src/renderer/log/rows.ts'
import { createLogSearch, type SearchComponents, type SearchSource } from '../src/renderer/log/search.ts'
import type { LogGroup } from '../src/renderer/log/log-groups.ts'

/** Lines a folded log shows, the slow way. */
function shown (lines: number, groups: readonly LogGroup[], folded: ReadonlySet<number>): number[] {
  const hidden = new Set<number>()
  for (const g of groups) if (folded.has(g.line)) for (let l = g.line + 1; l <= Math.min(g.end, lines); l++) hidden.add(l)
  return Array.from({ length: lines }, (_, i) => i + 1).filter((l) => !hidden.has(l))
}

const groupsArb = fc.integer({ min: 0, max: 80 }).chain((lines) => fc.record({
  lines: fc.constant(lines),
  groups: fc.array(fc.record({ line: fc.integer({ min: 1, max: Math.max(1, lines) }), len: fc.integer({ min: 0, max: 30 }), folded: fc.boolean() }), { maxLength: 12 })
}))

describe('row map', () => {
  it('shows every line of a log without folded groups', () => {
    const map = buildRowMap(5, [{ name: 'g', line: 2, end: 4, collapsed: false }], () => false)
    expect(map.count).toBe(5)
    expect([0, 1, 2, 3, 4].map(map.lineOf)).toEqual([1, 2, 3, 4, 5])
    expect(map.rowOf(6)).toBeUndefined()
  })

  it('hides a folded group\'s lines but its header, nested groups with it, as the slow way does', () => {
    fc.assert(fc.property(groupsArb, ({ lines, groups: raw }) => {
      const groups: LogGroup[] = raw.map((g, i) => ({ name: `g${i}`, line: g.line, end: g.line + g.len, collapsed: g.folded }))
        .sort((a, b) => a.line - b.line)
        .filter((g, i, all) => i === 0 || all[i - 1]!.line !== g.line)
      const folded = new Set(groups.filter((g) => g.collapsed).map((g) => g.line))
      const want = shown(lines, groups, folded)
      const map = buildRowMap(lines, groups, (g) => g.collapsed)
      expect(map.count).toBe(want.length)
      expect(want.map((_, row) => map.lineOf(row))).toEqual(want)
      for (let l = 1; l <= lines; l++) {
        const row = want.indexOf(l)
        expect(map.rowOf(l)).toBe(row === -1 ? undefined : row)
      }
    }), { numRuns: 500 })
  })

  it('builds the map of 1,000,000 lines and 10,000 groups without touching every line', () => {
    const groups: LogGroup[] = Array.from({ length: 10_000 }, (_, i) => ({ name: `g${i}`, line: i * 100 + 1, end: i * 100 + 90, collapsed: i % 2 === 0 }))
    const t0 = performance.now()
    const map = buildRowMap(1_000_000, groups, (g) => g.collapsed)
    expect(performance.now() - t0).toBeLessThan(100)
    expect(map.count).toBe(1_000_000 - 5_000 * 89)
    expect(map.lineOf(map.count - 1)).toBe(1_000_000)
    expect(groupsHolding(groups, 150).map((g) => g.name)).toEqual(['g1'])
  })
})

/** A scheduler run by hand: `drain` runs queued tasks; `now` moves 1 ms per call. */
function manual (): SearchComponents & { drain: () => number } {
  let queue: (() => void)[] = []
  let t = 0
  return {
    schedule (task) {
      queue.push(task)
      return () => { queue = queue.filter((x) => x !== task) }
    },
    now: () => t++,
    drain () {
      let slices = 0
      while (queue.length > 0) {
        const q = queue
        queue = []
        for (const task of q) task()
        slices++
      }
      return slices
    }
  }
}

const source = (lines: string[], partial = false): SearchSource => ({ lineCount: lines.length, partial, text: (n) => lines[n - 1] ?? '' })

describe('log search', () => {
  it('finds every match case-insensitively on the text as it reads, in slices, and counts them', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => (i % 100 === 7 ? `x \u001b[1mNee\u001b[0mdle and needle ${i}` : `line ${i} NEEDLE?`.slice(0, i % 3 === 0 ? 8 : 100)))
    const clock = manual()
    const search = createLogSearch(clock, { query: 'needle', sliceMs: 20 })
    let changes = 0
    search.onChange(() => { changes++ })
    search.feed(source(lines))
    expect(search.done).toBe(false)
    const slices = clock.drain()
    expect(slices).toBeGreaterThan(1)
    expect(changes).toBe(slices)
    // eslint-disable-next-line no-control-regex -- the test looks for escape codes on purpose
    const want = lines.reduce((n, l) => n + (l.replace(/\u001b\[\d*m/g, '').toLowerCase().match(/needle/g)?.length ?? 0), 0)
    expect(search.count).toBe(want)
    expect(search.done).toBe(true)
    expect(search.marksOn(8)).toEqual([2, 8, 13, 19])
    expect(search.match(0)).toEqual({ line: 2, start: 7, end: 13 })
    expect(search.firstFrom(8)).toBe(lines.slice(0, 7).filter((l) => /needle/i.test(l)).length)
  })

  it('goes on over lines that arrive later, waits for an unfinished line, and stops at its cap', () => {
    const clock = manual()
    const search = createLogSearch(clock, { query: 'a.b', maxMatches: 3 })
    search.feed(source(['a.b', 'axb', 'A.B a.b'], true))
    clock.drain()
    expect(search.count).toBe(1)
    search.feed(source(['a.b', 'axb', 'A.B a.b', 'a.b']))
    clock.drain()
    expect(search.count).toBe(3)
    expect(search.capped).toBe(true)
    expect(search.done).toBe(true)
  })
})
