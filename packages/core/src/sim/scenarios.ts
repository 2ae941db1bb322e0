import type { Priority } from '../events/bodies.ts'
import type { SchedulerPolicy } from '../scheduler/policy.ts'
import { createSimulation, type Simulation } from './sim.ts'
import { simReport, type SimReport } from './report.ts'

/** Results of the makespan scenario: 200 mixed jobs on 10 slots. */
export interface MakespanResult {
  report: SimReport
  /** makespan / max(total work / slots, longest job). */
  ratio: number
}

/** 200 jobs of mixed durations (1 s to 2 min), announced together from several peers, on 10 slots. */
export async function makespanScenario (seed: number): Promise<MakespanResult> {
  const sim = createSimulation({ seed, peers: Array.from({ length: 5 }, () => ({ slots: 2 })) })
  await sim.run(3_000)
  let total = 0
  let longest = 0
  for (let i = 0; i < 200; i++) {
    const durationMs = sim.rng.chance(0.1) ? sim.rng.int(60_000, 120_000) : sim.rng.int(1_000, 30_000)
    total += durationMs
    longest = Math.max(longest, durationMs)
    await sim.announce(sim.rng.int(0, 4), { durationMs, priority: sim.rng.pick(['high', 'normal', 'low'] as const) })
  }
  await sim.settle(3_600_000)
  const report = simReport(sim)
  await sim.close()
  return { report, ratio: report.makespanMs / Math.max(total / 10, longest) }
}

/** Results of the starvation scenario. */
export interface StarvationResult {
  /** The wait bound for low jobs this policy promises: starvation threshold + longest job (ms). */
  lowBoundMs: number
  lowWaitsMs: number[]
  /** Low jobs that had not started when the run ended. */
  lowNotStarted: number
}

async function arrive (sim: Simulation, horizonMs: number, rates: Partial<Record<Priority, number>>, durations: readonly [number, number]): Promise<void> {
  for (let t = sim.loop.now(); t < horizonMs; t += 1_000) {
    await sim.run(t)
    for (const [priority, rate] of Object.entries(rates) as [Priority, number][]) {
      if (sim.rng.chance(rate)) await sim.announce(sim.rng.int(0, sim.peers.length - 1), { durationMs: sim.rng.int(durations[0], durations[1]), priority })
    }
  }
}

function startWaits (sim: Simulation, priority: Priority): { waits: number[], notStarted: number } {
  const fold = sim.peers.find((p) => p.up)!.replica.fold
  const waits: number[] = []
  let notStarted = 0
  for (const id of sim.announced()) {
    const job = fold.job(id)
    if (job?.priority !== priority) continue
    const a0 = job.attempts[0]
    if (a0 === undefined) notStarted++
    else waits.push((a0.startedAt ?? a0.awardedAt) - job.announcedAt)
  }
  return { waits, notStarted }
}

/**
 * High-priority jobs arrive at 1.5 times what 10 slots can run, for 10 simulated minutes, with a
 * low job now and then: every low job must start within the starvation bound.
 */
export async function starvationScenario (seed: number, policy: Partial<SchedulerPolicy> = { starvationMs: 120_000 }): Promise<StarvationResult> {
  const sim = createSimulation({ seed, peers: Array.from({ length: 5 }, () => ({ slots: 2 })), policy })
  await sim.run(3_000)
  const durations = [5_000, 30_000] as const
  await arrive(sim, 10 * 60_000, { high: 0.9, low: 0.05 }, durations)
  await sim.run(sim.loop.now() + durations[1] + (policy.starvationMs ?? 600_000))
  const { waits, notStarted } = startWaits(sim, 'low')
  await sim.close()
  return { lowBoundMs: (policy.starvationMs ?? 600_000) + durations[1], lowWaitsMs: waits, lowNotStarted: notStarted }
}

/**
 * Normal and low jobs keep 10 slots saturated while high jobs arrive within their share: a high job
 * should start as soon as a slot frees up. Excess wait = start minus the later of its announce and
 * the first slot freed after it that no earlier high job was owed.
 */
export async function highLatencyScenario (seed: number): Promise<{ highExcessWaitsMs: number[] }> {
  const sim = createSimulation({ seed, peers: Array.from({ length: 5 }, () => ({ slots: 2 })) })
  await sim.run(3_000)
  await arrive(sim, 8 * 60_000, { high: 0.15, normal: 0.6, low: 0.2 }, [5_000, 20_000])
  await sim.run(sim.loop.now() + 60_000)
  const fold = sim.peers[0]!.replica.fold
  const ends = sim.executions.map((r) => r.endMs ?? Infinity).sort((a, b) => a - b)
  const toSim = (wall: number): number => wall - sim.loop.wallMs() + sim.loop.now()
  const highs = sim.announced().map((id) => fold.job(id)).filter((j) => j?.priority === 'high' && j.attempts[0] !== undefined)
    .sort((a, b) => a!.announcedAt - b!.announcedAt)
  const highExcessWaitsMs: number[] = []
  // Each high job is owed the first slot freed after its announce that no earlier high job took.
  let next = 0
  for (const job of highs) {
    const announced = toSim(job!.announcedAt)
    while (next < ends.length && ends[next]! < announced) next++
    const owed = Math.max(announced, ends[next] ?? announced)
    next++
    const a0 = job!.attempts[0]!
    highExcessWaitsMs.push(Math.max(0, toSim(a0.startedAt ?? a0.awardedAt) - owed))
  }
  await sim.close()
  return { highExcessWaitsMs }
}

/** Slot-time shares while all four levels are backlogged, next to the shares their weights promise. */
export interface ShareResult {
  shares: Record<Priority, number>
  expected: Record<Priority, number>
}

/** Every level gets a deep backlog at once; shares are measured from 30 s to 630 s (ten minutes, so jobs cut at the edges weigh little). */
export async function shareScenario (seed: number): Promise<ShareResult> {
  const sim = createSimulation({ seed, peers: Array.from({ length: 5 }, () => ({ slots: 2 })), policy: { starvationMs: 3_600_000 } })
  await sim.run(1_000)
  const levels: Priority[] = ['critical', 'high', 'normal', 'low']
  // Deep enough that every level is still backlogged at the end of the window (shares 8:4:2:1 of 10 slots).
  const counts: Record<Priority, number> = { critical: 1000, high: 520, normal: 280, low: 160 }
  for (const priority of levels) {
    for (let i = 0; i < counts[priority]; i++) await sim.announce(sim.rng.int(0, 4), { durationMs: sim.rng.int(2_000, 6_000), priority })
  }
  const from = 30_000
  const to = 630_000
  await sim.run(to)
  const report = simReport(sim, [from, to])
  await sim.close()
  const total = levels.reduce((n, p) => n + report.slotMs[p], 0)
  const weights = { critical: 8, high: 4, normal: 2, low: 1 }
  const weightSum = 15
  const shares = Object.fromEntries(levels.map((p) => [p, report.slotMs[p] / total])) as Record<Priority, number>
  const expected = Object.fromEntries(levels.map((p) => [p, weights[p] / weightSum])) as Record<Priority, number>
  return { shares, expected }
}

/** Options of the chaos scenario. */
export interface ChaosOptions {
  seed: number
  peers?: number
  jobs?: number
  loss?: number
  crashes?: number
  partitions?: number
  /**
   * `split` (default) cuts the mesh into two groups; `isolate` cuts each of the first `cut` peers
   * off on its own, which the fence covers (see the scheduler's Fencing note).
   */
  shape?: 'split' | 'isolate'
}

/**
 * Runners crash (and come back), 30% of messages are lost, some are duplicated and reordered, and
 * the mesh splits (or peers are cut off) and heals, while jobs keep arriving. Returns the report
 * after settling.
 */
export async function chaosScenario (o: ChaosOptions): Promise<{ report: SimReport, settled: boolean, sim: Simulation }> {
  const n = o.peers ?? 6
  const sim = createSimulation({ seed: o.seed, peers: Array.from({ length: n }, () => ({ slots: 2 })), faults: { loss: o.loss ?? 0.3, duplicate: 0.05, minDelayMs: 1, maxDelayMs: 80 } })
  await sim.run(3_000)
  const jobs = o.jobs ?? 60
  const span = 120_000
  const faults: { at: number, act: () => Promise<void> }[] = []
  for (let i = 0; i < (o.crashes ?? 3); i++) {
    const peer = sim.rng.int(0, n - 1)
    const at = sim.rng.int(5_000, span)
    faults.push({ at, act: async () => { if (sim.peers[peer]!.up) await sim.crash(peer) } })
    faults.push({ at: at + sim.rng.int(5_000, 40_000), act: async () => { if (!sim.peers[peer]!.up) sim.restart(peer) } })
  }
  for (let i = 0; i < (o.partitions ?? 1); i++) {
    const at = sim.rng.int(5_000, span)
    const cut = sim.rng.int(1, n - 1)
    const side = Array.from({ length: cut }, (_, k) => k)
    const groups = o.shape === 'isolate' ? side.map((k) => [k]) : [side]
    faults.push({ at, act: async () => { sim.partition(groups) } })
    faults.push({ at: at + sim.rng.int(11_000, 40_000), act: async () => { sim.heal() } })
  }
  for (let i = 0; i < jobs; i++) {
    const at = 3_000 + Math.floor((span * i) / jobs)
    faults.push({
      at,
      act: async () => {
        const up = sim.peers.map((p, k) => (p.up ? k : -1)).filter((k) => k >= 0)
        if (up.length > 0) await sim.announce(sim.rng.pick(up), { durationMs: sim.rng.int(500, 20_000), priority: sim.rng.pick(['critical', 'high', 'normal', 'low'] as const), exitCode: sim.rng.chance(0.1) ? 1 : 0 })
      }
    })
  }
  faults.sort((a, b) => a.at - b.at)
  for (const f of faults) {
    await sim.run(f.at)
    await f.act()
  }
  await sim.run(span + 45_000)
  sim.heal()
  for (let k = 0; k < n; k++) if (!sim.peers[k]!.up) sim.restart(k)
  const settled = await sim.settle(3_600_000)
  return { report: simReport(sim), settled, sim }
}
