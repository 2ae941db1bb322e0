/**
 * Scheduling figures from the deterministic simulator: makespan on 10 slots, waits under load,
 * and lost or doubly completed jobs under chaos. Simulated time, so the figures do not depend on
 * the machine; the real time it takes is reported too.
 */
import { percentile } from './mesh-stats.ts'
import { chaosScenario, highLatencyScenario, makespanScenario, starvationScenario } from '../../packages/core/src/sim/index.ts'

export interface SimFigures {
  sim_makespan_ratio_median: number
  sim_high_excess_wait_p99_ms: number
  sim_low_max_wait_s: number
  sim_low_wait_bound_s: number
  sim_lost_jobs: number
  sim_double_completions: number
  [key: string]: number
}

const median = (xs: number[]): number => percentile(xs, 0.5)
const p99 = (xs: number[]): number => percentile(xs, 0.99)
const round = (x: number, digits = 3): number => Number(x.toFixed(digits))

export async function runSimBench (log: (line: string) => void): Promise<SimFigures> {
  const t0 = performance.now()
  const ratios: number[] = []
  for (const seed of [1, 2, 3, 4, 5]) {
    const { ratio, report } = await makespanScenario(seed)
    ratios.push(ratio)
    log(`makespan seed ${seed}: ratio ${ratio.toFixed(3)} (${report.jobs} jobs, ${report.lost} lost)`)
  }
  const excess: number[] = []
  for (const seed of [1, 2, 3]) excess.push(...(await highLatencyScenario(seed)).highExcessWaitsMs)
  log(`high-priority excess wait: ${excess.length} jobs, median ${median(excess).toFixed(0)} ms`)
  const lowWaits: number[] = []
  let bound = 0
  let notStarted = 0
  for (const seed of [1, 2, 3]) {
    const r = await starvationScenario(seed)
    lowWaits.push(...r.lowWaitsMs)
    bound = r.lowBoundMs
    notStarted += r.lowNotStarted
  }
  log(`low jobs under saturating high load: ${lowWaits.length} started, ${notStarted} not started`)
  let lost = 0
  let double = 0
  let duplicates = 0
  for (let seed = 1; seed <= 10; seed++) {
    const { report, settled, sim } = await chaosScenario({ seed, peers: 6, jobs: 60, loss: 0.3, crashes: 4, partitions: 2 })
    await sim.close()
    lost += report.lost + (settled ? 0 : 1)
    double += report.doubleCompletions
    duplicates += report.duplicateRuns
  }
  log(`chaos (10 runs x 60 jobs, 30% loss, crashes, partitions): ${duplicates} jobs ran twice to the end after a lost lease`)
  log(`simulation took ${((performance.now() - t0) / 1000).toFixed(1)} s of real time`)
  return {
    sim_makespan_ratio_median: round(median(ratios)),
    sim_high_excess_wait_p99_ms: Math.round(p99(excess)),
    sim_low_max_wait_s: round(Math.max(0, ...lowWaits) / 1000, 1),
    sim_low_wait_bound_s: round(bound / 1000, 1),
    sim_lost_jobs: lost + notStarted,
    sim_double_completions: double
  }
}
