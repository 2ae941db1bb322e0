import { describe, expect, it } from 'vitest'
import { shareScenario, starvationScenario } from '../../src/sim/index.ts'

describe('priorities under load', () => {
  it('starts every low job within the starvation bound under saturating high-priority load', async () => {
    for (const seed of [1, 2]) {
      const r = await starvationScenario(seed, { starvationMs: 120_000 })
      expect(r.lowWaitsMs.length).toBeGreaterThan(10)
      expect(r.lowNotStarted).toBe(0)
      expect(Math.max(...r.lowWaitsMs)).toBeLessThanOrEqual(r.lowBoundMs)
    }
  })

  it('gives each level a share of slot-time that follows its weight within 5% while all are backlogged', async () => {
    const { shares, expected } = await shareScenario(1)
    for (const level of ['critical', 'high', 'normal', 'low'] as const) {
      expect(Math.abs(shares[level] - expected[level]) / expected[level], level).toBeLessThan(0.05)
    }
  }, 180_000)
})
