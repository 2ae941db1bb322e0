import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { terminalStatuses } from '../../src/index.ts'
import { chaosScenario, type Simulation } from '../../src/sim/index.ts'
import { completedRuns, overlaps } from './runs.ts'

/**
 * Every result the fold accepted is a run its runner recorded as ended. A cached one reran nothing,
 * and a job whose runners were lost more often than its budget allows failed without a run.
 */
function expectResultsRan (sim: Simulation): void {
  const fold = sim.peers[0]!.replica.fold
  for (const id of sim.announced()) {
    const job = fold.job(id)!
    const r = job.result
    if (r === undefined || r.status === 'cached') continue
    if (r.status === 'failed' && job.attempts.find((a) => a.n === r.attempt)?.outcome === 'lost') continue
    expect(completedRuns(sim, id), id).toContain(`${r.by}#${r.attempt}`)
  }
}

describe('simulated grid under failures', () => {
  it('with crashes, 30% message loss and healing partitions, every job ends, none is lost, all peers agree', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const { report, settled, sim } = await chaosScenario({ seed, peers: 6, jobs: 60, loss: 0.3, crashes: 4, partitions: 2 })
      await sim.close()
      expect({ seed, settled, lost: report.lost, hashAgree: report.hashAgree }).toEqual({ seed, settled: true, lost: 0, hashAgree: true })
      expect(report.jobs).toBe(60)
      // Jobs whose synthetic step exits 0 must succeed however often their runners died.
      const fold = sim.peers[0]!.replica.fold
      for (const id of sim.announced()) {
        const job = fold.job(id)!
        expect(terminalStatuses.has(job.status)).toBe(true)
        if (job.synthetic?.exitCode === 0) expect(job.status).toBe('succeeded')
      }
      expectResultsRan(sim)
    }
  })

  it('never runs a job twice at once, whatever the crashes, losses and peers cut off (from the runners\' own records)', async () => {
    await fc.assert(fc.asyncProperty(
      // Loss stays below the point where a runner that hears others may miss every heartbeat of its
      // coordinator for a whole lease (at 50%, one in a few hundred runs): the fence covers a runner
      // cut off from everyone, not one cut off from its coordinator alone.
      fc.record({
        seed: fc.integer({ min: 1, max: 1_000_000 }),
        loss: fc.double({ min: 0, max: 0.35, noNaN: true }),
        crashes: fc.integer({ min: 0, max: 6 }),
        partitions: fc.integer({ min: 0, max: 3 })
      }),
      async (o) => {
        const { report, settled, sim } = await chaosScenario({ ...o, peers: 5, jobs: 25, shape: 'isolate' })
        await sim.close()
        expect(settled).toBe(true)
        expect(report.hashAgree).toBe(true)
        expect(overlaps(sim)).toEqual([])
        expect(report.duplicateRuns).toBe(0)
        expectResultsRan(sim)
      }), { numRuns: 12 })
  })
})
