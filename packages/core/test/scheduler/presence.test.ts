import { describe, expect, it } from 'vitest'
import { presenceIntervalMs } from '../../src/index.ts'

describe('presence interval', () => {
  it('is a second in small teams and keeps a larger team near ten heartbeats a second', () => {
    expect(presenceIntervalMs(1, 10_000)).toBe(1000)
    expect(presenceIntervalMs(10, 10_000)).toBe(1000)
    expect(presenceIntervalMs(20, 10_000)).toBe(2000)
    for (const n of [12, 16, 24]) expect(n / (presenceIntervalMs(n, 10_000) / 1000)).toBeCloseTo(10, 5)
  })

  it('never lets a peer miss more than a quarter lease between heartbeats', () => {
    expect(presenceIntervalMs(200, 10_000)).toBe(2500)
    expect(presenceIntervalMs(200, 3_000)).toBe(1000)
  })
})
