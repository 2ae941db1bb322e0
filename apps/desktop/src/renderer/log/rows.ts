/**
 * Which lines a folded log shows: a collapsed group keeps its header line and hides the rest. The
 * hidden lines are kept as merged ranges with prefix sums, so mapping a row to its line and back is
 * a binary search and building the map is O(groups), whatever the number of lines. Pure.
 */
import type { LogGroup } from './log-groups.ts'

/** Rows of the virtual list (0-based) against log lines (1-based). */
export interface RowMap {
  /** Rows shown. */
  readonly count: number
  /** The line shown at `row`. */
  lineOf: (row: number) => number
  /** The row showing `line`, or undefined when a collapsed group hides it. */
  rowOf: (line: number) => number | undefined
}

/** Identity map: no group is collapsed. */
function plain (lines: number): RowMap {
  return { count: lines, lineOf: (row) => row + 1, rowOf: (line) => (line >= 1 && line <= lines ? line - 1 : undefined) }
}

/** Merged hidden ranges `[start, end]` (1-based, inclusive) of the collapsed groups, in order. */
function hiddenRanges (lines: number, groups: readonly LogGroup[], collapsed: (g: LogGroup) => boolean): number[][] {
  const ranges: number[][] = []
  for (const g of groups) {
    const start = g.line + 1
    const end = Math.min(g.end, lines)
    if (end >= start && collapsed(g)) ranges.push([start, end])
  }
  ranges.sort((a, b) => a[0]! - b[0]!)
  const merged: number[][] = []
  for (const r of ranges) {
    const last = merged[merged.length - 1]
    if (last !== undefined && r[0]! <= last[1]! + 1) last[1] = Math.max(last[1]!, r[1]!)
    else merged.push(r)
  }
  return merged
}

/**
 * The rows of a log of `lines` lines whose `groups` fold where `collapsed` says. A group inside a
 * collapsed one is hidden with it whatever its own state.
 */
export function buildRowMap (lines: number, groups: readonly LogGroup[], collapsed: (g: LogGroup) => boolean): RowMap {
  const merged = hiddenRanges(lines, groups, collapsed)
  if (merged.length === 0) return plain(lines)
  const n = merged.length
  const starts = new Float64Array(n)
  const ends = new Float64Array(n)
  /** Hidden lines before range k. */
  const before = new Float64Array(n + 1)
  /** Visible lines before range k starts. */
  const shownBefore = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    starts[k] = merged[k]![0]!
    ends[k] = merged[k]![1]!
    before[k + 1] = before[k]! + ends[k]! - starts[k]! + 1
    shownBefore[k] = starts[k]! - 1 - before[k]!
  }
  const count = lines - before[n]!
  return {
    count,
    lineOf (row) {
      // The ranges that start before the row's line: those with fewer shown lines before them than `row + 1`.
      let lo = 0
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (shownBefore[mid]! <= row) lo = mid + 1
        else hi = mid
      }
      return row + 1 + before[lo]!
    },
    rowOf (line) {
      if (line < 1 || line > lines) return undefined
      let lo = 0
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (starts[mid]! <= line) lo = mid + 1
        else hi = mid
      }
      if (lo > 0 && line <= ends[lo - 1]!) return undefined
      return line - 1 - before[lo]!
    }
  }
}

/** The groups holding `line` (its header included), outermost first. */
export function groupsHolding (groups: readonly LogGroup[], line: number): LogGroup[] {
  return groups.filter((g) => g.line <= line && line <= g.end)
}
