import { describe, expect, it } from 'vitest'
import { createSimulation, simReport, type Simulation } from '../../src/sim/index.ts'
import { completedRuns, overlaps } from './runs.ts'

const TEN_MINUTES = 600_000

const job = (sim: Simulation, id: string) => sim.peers[0]!.replica.fold.job(id)!

/** When each of a job's runs started and ended on simulated time, in start order. */
const runs = (sim: Simulation, id: string) => sim.executions.filter((r) => r.job === id).sort((a, b) => a.startMs - b.startMs)

/** Nothing was judged lost, every job succeeded, and each ran to its end once, never twice at once. */
function expectCleanRun (sim: Simulation, ids: readonly string[]): void {
  expect(overlaps(sim)).toEqual([])
  expect(simReport(sim).duplicateRuns).toBe(0)
  for (const id of ids) {
    expect(job(sim, id).attempts.filter((a) => a.outcome === 'lost')).toEqual([])
    expect(job(sim, id).status).toBe('succeeded')
    expect(completedRuns(sim, id)).toHaveLength(1)
  }
}

describe('wall clocks of other peers gate nothing', () => {
  it('jobs of a peer 10 minutes ahead start at once on the others; a runner whose clock steps back keeps taking work', async () => {
    // Peer 0 (ahead) and peer 2 announce; only peer 1 (label plain) runs.
    const sim = createSimulation({ seed: 21, peers: [{ slots: 0, clockOffsetMs: TEN_MINUTES }, { slots: 1, labels: ['linux', 'plain'] }, { slots: 0 }] })
    await sim.run(2_000)
    const early = await Promise.all([1, 2].map(async () => await sim.announce(0, { durationMs: 1_000, labels: ['plain'] })))
    const announced = sim.loop.now()
    await sim.run(announced + 500)
    // Peer 1's clock steps back ten minutes in the middle of its first run (and of a lease).
    expect(runs(sim, early[0]!)[0]?.endMs).toBeUndefined()
    sim.stepClock(1, -TEN_MINUTES)
    await sim.run(sim.loop.now() + 5_000)
    const late = await sim.announce(2, { durationMs: 1_000, labels: ['plain'] })
    const lateAt = sim.loop.now()
    expect(await sim.settle(30 * 60_000)).toBe(true)
    for (const id of early) expect(runs(sim, id)[0]!.startMs - announced).toBeLessThan(5_000)
    expect(runs(sim, late)[0]!.startMs - lateAt).toBeLessThan(5_000)
    expectCleanRun(sim, [...early, late])
    await sim.close()
  })

  it('a retry waits its backoff, and no longer, whatever the clock of the runner that failed', async () => {
    const sim = createSimulation({
      seed: 22,
      peers: [{ slots: 0 }, { slots: 1, labels: ['linux', 'behind'], clockOffsetMs: -TEN_MINUTES }, { slots: 1, labels: ['linux', 'ahead'], clockOffsetMs: TEN_MINUTES }]
    })
    await sim.run(2_000)
    const retry = { max: 1, when: ['exit_code:75'] }
    const ids = await Promise.all(['behind', 'ahead'].map(async (label) => await sim.announce(0, { durationMs: 1_000, exitCode: 75, labels: [label], retry })))
    expect(await sim.settle(30 * 60_000)).toBe(true)
    for (const id of ids) {
      const [first, second] = runs(sim, id)
      const gap = second!.startMs - first!.endMs!
      // The fold's first backoff is 2 s: measured from when each peer saw the failure, not from its author's clock.
      expect(gap).toBeGreaterThanOrEqual(2_000)
      expect(gap).toBeLessThan(5_000)
      expect(job(sim, id)).toMatchObject({ status: 'failed', attempts: [{ outcome: 'failed' }, { outcome: 'failed' }] })
    }
    expect(overlaps(sim)).toEqual([])
    await sim.close()
  })
})
