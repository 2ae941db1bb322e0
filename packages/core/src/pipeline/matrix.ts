/** Matrix expansion and the stable ids of the concrete jobs it produces. */
import type { MatrixSpec } from './types.ts'

/** One concrete combination: axis name -> value, axes in file order. */
export type Combination = Record<string, string>

/** Excludes may bring a larger cross product under the cap; beyond this multiple it is not worth expanding. */
const EXPAND_FACTOR = 16

/**
 * How many combinations `expandMatrix` yields, or `cap + 1` if more than `cap`. A cross product far
 * beyond the cap is refused without expanding it, so a hostile matrix costs nothing.
 */
export function countCombinations (matrix: MatrixSpec, cap: number): number {
  const axes = Object.values(matrix.axes)
  let product = axes.length === 0 ? 0 : 1
  for (const values of axes) product = Math.min(product * values.length, EXPAND_FACTOR * cap + 1)
  if (product > EXPAND_FACTOR * cap) return cap + 1
  return Math.min(expandMatrix(matrix).length, cap + 1)
}

/** The combinations of `matrix`: the cross product minus `exclude`, then `include`, no duplicates. */
export function expandMatrix (matrix: MatrixSpec): Combination[] {
  let combos: Combination[] = Object.keys(matrix.axes).length === 0 ? [] : [{}]
  for (const [axis, values] of Object.entries(matrix.axes)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [axis]: v })))
  }
  combos = combos.filter((c) => !matrix.exclude.some((pattern) => matches(c, pattern)))
  const seen = new Set(combos.map(comboKey))
  for (const extra of matrix.include) {
    const key = comboKey(extra)
    if (!seen.has(key)) {
      seen.add(key)
      combos.push({ ...extra })
    }
  }
  return combos
}

/** `build` for a plain job, `build (os=linux, node=22)` for one matrix combination. */
export function concreteJobId (job: string, combo: Combination | undefined): string {
  if (combo === undefined) return job
  return `${job} (${Object.entries(combo).map(([k, v]) => `${k}=${v}`).join(', ')})`
}

function matches (combo: Combination, pattern: Combination): boolean {
  return Object.entries(pattern).every(([k, v]) => combo[k] === v)
}

function comboKey (combo: Combination): string {
  return JSON.stringify(Object.entries(combo).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
