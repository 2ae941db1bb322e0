import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { terminalStatuses } from '../../src/index.ts'
import { acceptedCompletions, chaosScenario } from '../../src/sim/index.ts'

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
    }
  })

  it('never accepts two completions for one job, whatever the failures', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 1, max: 1_000_000 }),
        loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
        crashes: fc.integer({ min: 0, max: 6 }),
        partitions: fc.integer({ min: 0, max: 3 })
      }),
      async (o) => {
        const { report, settled, sim } = await chaosScenario({ ...o, peers: 5, jobs: 25 })
        await sim.close()
        expect(settled).toBe(true)
        expect(report.doubleCompletions).toBe(0)
        expect(report.hashAgree).toBe(true)
        for (const p of sim.peers) for (const job of p.replica.fold.jobs()) expect(acceptedCompletions(job)).toBeLessThanOrEqual(1)
      }), { numRuns: 12 })
  })
})
