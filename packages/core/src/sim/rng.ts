import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { uniformInt } from 'pure-rand/distribution/uniformInt'

/** A seeded random source: the same seed replays the same simulation. */
export interface Rng {
  /** Uniform in [0, 1). */
  float(): number
  /** Uniform integer in [from, to]. */
  int(from: number, to: number): number
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
}

export function createRng (seed: number): Rng {
  const gen = xoroshiro128plus(seed)
  const rng: Rng = {
    float: () => uniformFloat64(gen),
    int: (from, to) => uniformInt(gen, from, to),
    chance: (p) => p > 0 && uniformFloat64(gen) < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[uniformInt(gen, 0, items.length - 1)]!
    }
  }
  return rng
}
