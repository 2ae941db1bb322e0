import { describe, expect, it } from 'vitest'
import { resolvePolicy } from '../../src/index.ts'

describe('scheduler policy: fence margin and lost grace', () => {
  it('scales both to the lease by default, so margin plus grace cover a heartbeat interval and some', () => {
    expect(resolvePolicy()).toMatchObject({ leaseMs: 10_000, fenceMarginMs: 2_500, lostGraceMs: 2_500 })
    expect(resolvePolicy({ leaseMs: 3_000 })).toMatchObject({ fenceMarginMs: 750, lostGraceMs: 750 })
    expect(resolvePolicy({ leaseMs: 2_000 })).toMatchObject({ fenceMarginMs: 500, lostGraceMs: 1_000 })
    expect(resolvePolicy({ leaseMs: 3_000, lostGraceMs: 2_000 })).toMatchObject({ fenceMarginMs: 750, lostGraceMs: 2_000 })
  })

  it.each([
    ['a margin as long as the lease', { fenceMarginMs: 10_000 }, 'fenceMarginMs'],
    ['no margin', { fenceMarginMs: 0 }, 'fenceMarginMs'],
    ['a margin that leaves less than a heartbeat interval', { leaseMs: 3_000, fenceMarginMs: 2_500 }, 'fenceMarginMs'],
    ['a negative grace', { lostGraceMs: -1 }, 'lostGraceMs'],
    ['margin and grace shorter than a heartbeat interval', { leaseMs: 3_000, fenceMarginMs: 300, lostGraceMs: 300 }, 'lostGraceMs'],
    ['a lease heartbeats cannot keep', { leaseMs: 1_000 }, 'leaseMs'],
    ['a lease just under the floor', { leaseMs: 1_999 }, 'leaseMs'],
    ['an endless grace, so nobody is ever lost', { lostGraceMs: Infinity }, 'lostGraceMs'],
    ['a bid window that is not a number', { bidWindowMs: Number.NaN }, 'bidWindowMs'],
    ['a negative bid timeout', { bidTimeoutMs: -1 }, 'bidTimeoutMs']
  ])('refuses %s with PolicyError', (_what, overrides, key) => {
    expect(() => resolvePolicy(overrides)).toThrow(expect.objectContaining({ name: 'PolicyError', code: 'PolicyError', data: expect.objectContaining({ key }) }))
  })
})
