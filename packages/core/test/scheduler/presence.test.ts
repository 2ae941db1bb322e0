import { describe, expect, it } from 'vitest'
import { createPresenceTable, fitPresence, liveWindowMs, MAX_PRESENCE_BYTES, PresenceInfo, presenceIntervalMs, quietPresenceIntervalMs, resolvePolicy } from '../../src/index.ts'
import { createFence } from '../../src/scheduler/fence.ts'

describe('presence interval', () => {
  it('is a quarter lease whatever the team size, and at most once a second', () => {
    expect(presenceIntervalMs(10_000)).toBe(2500)
    expect(presenceIntervalMs(60_000)).toBe(15_000)
    expect(presenceIntervalMs(3_000)).toBe(1000)
    expect(presenceIntervalMs(2_000)).toBe(1000)
  })
})

describe('the presence table', () => {
  const info = (peer: string): PresenceInfo => ({ peer, status: 'idle', slots: 1, freeSlots: 1, labels: [], cores: 2, load: 0, shareMode: 'dedicated', userActive: false, version: '0', warmWorkspaces: [], recentFailures: 0, time: 0 })

  it('stays within its cap under heartbeats of many identities, and a flood of newcomers never pushes out a live peer', () => {
    const table = createPresenceTable({ maxPeers: 100, keepLiveMs: 10_000 })
    table.observe(info('honest'), 0)
    for (let i = 0; i < 10_000; i++) table.observe(info(`throwaway-${i}`), 1 + i / 10)
    expect(table.live(1_000, 60_000)).toHaveLength(100)
    expect(table.lastSeen('honest')).toBe(0)
    expect(table.lastSeen('throwaway-98')).toBeDefined()
    expect(table.lastSeen('throwaway-99')).toBeUndefined()
    // Once the longest silent peers have been quiet for keepLiveMs, newcomers take their places.
    table.observe(info('late'), 20_000)
    expect(table.lastSeen('late')).toBe(20_000)
    expect(table.lastSeen('honest')).toBeUndefined()
  })

  it('lets a peer the ledger knows in while throwaway identities keep the table full and live', () => {
    const table = createPresenceTable({ maxPeers: 50, keepLiveMs: 10_000, known: (p) => p.startsWith('member') })
    for (let t = 0; t < 5; t++) for (let i = 0; i < 50; i++) table.observe(info(`throwaway-${i}`), t * 1000 + i)
    table.observe(info('stranger'), 5_000)
    expect(table.lastSeen('stranger')).toBeUndefined()
    table.observe(info('member-restarted'), 5_000)
    expect(table.lastSeen('member-restarted')).toBe(5_000)
    expect(table.live(5_000, 60_000)).toHaveLength(50)
  })
})

describe('a heartbeat of a busy peer', () => {
  it('fits one presence message however long its hints, and keeps what fencing needs', () => {
    const busy: PresenceInfo = {
      peer: '12D3KooWBzwNTBmuHt6NpekdMKNZ2Z54MRpoU7N8Y59AG8wvwxnp', status: 'busy', slots: 32, freeSlots: 0, labels: ['linux', 'x64'], cores: 32, load: 1, shareMode: 'dedicated', userActive: false, version: '0.1.0', recentFailures: 0, time: 1,
      warmWorkspaces: Array.from({ length: 64 }, (_, i) => `${'a'.repeat(64)}:${i.toString(16).padStart(32, '0')}`),
      activity: Array.from({ length: 32 }, (_, i) => ({ job: i.toString(16).padStart(64, '0'), attempt: 1, phase: 'running' as const, step: 's'.repeat(200), bytes: 1e12, objects: 1e9 })),
      runs: Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(16, '0'))
    }
    expect(Buffer.byteLength(JSON.stringify(busy))).toBeGreaterThan(MAX_PRESENCE_BYTES)
    const fit = fitPresence(busy)
    expect(Buffer.byteLength(JSON.stringify(fit))).toBeLessThanOrEqual(MAX_PRESENCE_BYTES - 512)
    expect(PresenceInfo.safeParse(fit).success).toBe(true)
    expect(fit.runs).toEqual(busy.runs)
    const small = { ...busy, warmWorkspaces: busy.warmWorkspaces.slice(0, 2), activity: busy.activity!.slice(0, 2) }
    expect(fitPresence(small)).toBe(small)
  })
})

describe('a quiet team', () => {
  const quietInfo = (peer: string, beatMs?: number, status: PresenceInfo['status'] = 'idle'): PresenceInfo => ({ peer, status, slots: 1, freeSlots: 1, labels: [], cores: 2, load: 0, shareMode: 'dedicated', userActive: false, version: '0', warmWorkspaces: [], recentFailures: 0, time: 0, ...(beatMs === undefined ? {} : { beatMs }) })
  const lease = 10_000

  it('keeps a peer that beats every two leases live for five, and no longer however long an interval it announces', () => {
    expect(quietPresenceIntervalMs(lease)).toBe(20_000)
    const table = createPresenceTable()
    table.observe(quietInfo('quiet', 20_000), 0)
    table.observe(quietInfo('boaster', 3_600_000), 0)
    table.observe(quietInfo('busy', 2_500), 0)
    table.observe(quietInfo('old', undefined), 0)
    expect(table.live(lease, lease).map((i) => i.peer)).toEqual(['boaster', 'busy', 'old', 'quiet'])
    expect(table.live(lease + 1, lease).map((i) => i.peer)).toEqual(['boaster', 'quiet'])
    expect(table.live(50_000, lease).map((i) => i.peer)).toEqual(['boaster', 'quiet'])
    expect(table.live(50_001, lease)).toEqual([])
    expect(liveWindowMs({ beatMs: 3_600_000 }, lease)).toBe(50_000)
  })

  it('does not make a peer that hears only rare heartbeats think it is cut off; once a job opens, silence counts from then', () => {
    const policy = resolvePolicy({ leaseMs: lease })
    const table = createPresenceTable()
    const fence = createFence(table, 'self', policy, () => true)
    table.observe(quietInfo('other', 20_000), 0)
    // Quiet: heard 19 s ago, within the quiet peer's live window.
    expect(fence.check(19_000, true).isolatedSinceMs).toBeUndefined()
    // A job opens at 19.1 s: the peer counts as heard until the quiet time from then has passed...
    expect(fence.check(19_100, false).isolatedSinceMs).toBeUndefined()
    const quietMs = policy.leaseMs - policy.fenceMarginMs
    expect(fence.check(19_100 + quietMs, false).isolatedSinceMs).toBeUndefined()
    // ...and with no heartbeat since, this peer is cut off after it.
    expect(fence.check(19_101 + quietMs, false).isolatedSinceMs).toBe(19_101 + quietMs)
  })
})
