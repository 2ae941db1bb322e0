import { describe, expect, it } from 'vitest'
import { createSimulation, simReport, type ExecutionRecord, type Simulation } from '../../src/sim/index.ts'
import { completedRuns, overlaps } from './runs.ts'

const job = (sim: Simulation, id: string, peer = 0) => sim.peers[peer]!.replica.fold.job(id)!

/** Runs until `cond` holds (checked after every timer), for at most `maxMs` more simulated ms; says whether it held. */
async function until (sim: Simulation, maxMs: number, cond: () => boolean): Promise<boolean> {
  await sim.run(sim.loop.now() + maxMs, cond)
  return cond()
}

/** Cuts peer `k` off from everyone and runs until neither side hears the other. */
async function isolate (sim: Simulation, k: number): Promise<void> {
  sim.partition([[k]])
  const cut = sim.peers[k]!
  const others = sim.peers.filter((p) => p !== cut)
  expect(await until(sim, 30_000, () => cut.hears().length === 0 && others.every((p) => !p.hears().includes(cut.id)))).toBe(true)
}

const runsOf = (sim: Simulation, id: string): ExecutionRecord[] => sim.executions.filter((r) => r.job === id)

describe('fencing: one job never runs twice at once', () => {
  it('a runner cut off from everyone has stopped its steps before its job starts elsewhere', async () => {
    // Peer 0 announces and coordinates but has no slots.
    const sim = createSimulation({ seed: 11, peers: [{ slots: 0 }, { slots: 1 }, { slots: 1 }, { slots: 1 }] })
    await sim.run(2_000)
    const id = await sim.announce(0, { durationMs: 60_000 })
    expect(await until(sim, 10_000, () => job(sim, id).status === 'running')).toBe(true)
    const runner = sim.peers.findIndex((p) => p.id === job(sim, id).attempts[0]!.runner)
    await isolate(sim, runner)
    expect(await until(sim, 60_000, () => runsOf(sim, id).length >= 2)).toBe(true)
    const [first, second] = runsOf(sim, id)
    expect(first!.peer).toBe(sim.peers[runner]!.id)
    expect(first!.endMs ?? Infinity).toBeLessThanOrEqual(second!.startMs)
    sim.heal()
    expect(await sim.settle(180_000)).toBe(true)
    expect(overlaps(sim)).toEqual([])
    expect(simReport(sim).duplicateRuns).toBe(0)
    expect(job(sim, id)).toMatchObject({ status: 'succeeded', attempts: [{ runner: sim.peers[runner]!.id, outcome: 'lost' }, { outcome: 'succeeded' }] })
    expect(completedRuns(sim, id)).toEqual([`${job(sim, id).result!.by}#2`])
    await sim.close()
  })

  it('an origin cut off from everyone judges no one, stops what others may take over, and builds what it announces meanwhile', async () => {
    // Only peer 0 has label `zero`, only the others `far`: where each job may run is fixed.
    const sim = createSimulation({ seed: 12, peers: [{ slots: 1, labels: ['linux', 'zero'] }, ...[1, 2, 3].map(() => ({ slots: 1, labels: ['linux', 'far'] }))] })
    await sim.run(2_000)
    const elsewhere = await sim.announce(0, { durationMs: 40_000, labels: ['far'] })
    const onItself = await sim.announce(0, { durationMs: 40_000, labels: ['zero'] })
    expect(await until(sim, 10_000, () => job(sim, elsewhere).status === 'running' && job(sim, onItself).status === 'running')).toBe(true)
    await isolate(sim, 0)
    const meanwhile = await sim.announce(0, { durationMs: 2_000, labels: ['zero'] })
    expect(await until(sim, 60_000, () => job(sim, meanwhile).status === 'succeeded')).toBe(true)
    // The rest judged its own run of `onItself` lost once the fence had stopped it.
    expect(await until(sim, 60_000, () => job(sim, onItself, 1).attempts[0]?.outcome === 'lost')).toBe(true)
    expect(runsOf(sim, onItself)[0]!.endMs).toBeDefined()
    sim.heal()
    expect(await sim.settle(180_000)).toBe(true)
    expect(overlaps(sim)).toEqual([])
    expect(job(sim, elsewhere).attempts).toHaveLength(1)
    for (const id of [elsewhere, onItself, meanwhile]) {
      expect(job(sim, id).status).toBe('succeeded')
      expect(completedRuns(sim, id)).toEqual([`${job(sim, id).result!.by}#${job(sim, id).result!.attempt}`])
    }
    await sim.close()
  })
})
