import { describe, expect, it } from 'vitest'
import { createSimulation, type ExecutionRecord, type Simulation } from '../../src/sim/index.ts'
import { overlaps } from './runs.ts'

const runOf = (sim: Simulation, job: string): ExecutionRecord | undefined => sim.executions.find((r) => r.job === job)

describe('slots and labels changed while a peer runs', () => {
  it('a slot more takes the next job at once; a slot less stops no attempt and holds new ones until the running fit', async () => {
    // 0: the origin, no slots. 1: the runner whose owner changes its slots.
    const sim = createSimulation({ seed: 5, peers: [{ slots: 0 }, { slots: 1 }] })
    await sim.run(2_000)
    const [origin, runner] = sim.peers as [typeof sim.peers[0], typeof sim.peers[0]]
    const scheduler = runner.scheduler!
    const first = await sim.announce(0, { durationMs: 60_000 })
    const second = await sim.announce(0, { durationMs: 60_000 })
    await sim.run(sim.loop.now() + 10_000)
    expect(sim.executions.map((r) => r.job)).toEqual([first])

    scheduler.setCapacity({ slots: 2 })
    const raisedAt = sim.loop.now()
    await scheduler.tick()
    // The pass saw slots its last heartbeat did not carry: the host beats now, not at the next interval.
    expect(scheduler.lendingChanged()).toBe(true)
    await sim.run(raisedAt + 300)
    expect(origin.heard(runner.id)).toMatchObject({ slots: 2 })
    await sim.run(raisedAt + 30_000, () => runOf(sim, second) !== undefined)
    expect(runOf(sim, second)!.startMs - raisedAt).toBeLessThan(1_000)

    // Down to one slot with two attempts running: both go on; a new job waits until both ended.
    scheduler.setCapacity({ slots: 1 })
    expect(scheduler.presence()).toMatchObject({ slots: 1, freeSlots: 0 })
    const third = await sim.announce(0, { durationMs: 1_000 })
    expect(await sim.settle(5 * 60_000)).toBe(true)
    expect(sim.executions.map((r) => [r.job, r.completed])).toEqual([[first, true], [second, true], [third, true]])
    expect(runOf(sim, third)!.startMs).toBeGreaterThanOrEqual(Math.max(runOf(sim, first)!.endMs!, runOf(sim, second)!.endMs!))
    expect(overlaps(sim)).toEqual([])
    await sim.close()
  }, 60_000)

  it('a label added while the peer runs lets it take a job that asks for that label', async () => {
    const sim = createSimulation({ seed: 6, peers: [{ slots: 0 }, { slots: 1, labels: ['linux'] }] })
    await sim.run(2_000)
    const runner = sim.peers[1]!
    const id = await sim.announce(0, { durationMs: 1_000, labels: ['gpu'] })
    await sim.run(sim.loop.now() + 10_000)
    expect(sim.executions).toEqual([])
    runner.scheduler!.setCapacity({ labels: ['linux', 'gpu'] })
    expect(await sim.settle(60_000)).toBe(true)
    expect(sim.peers[0]!.replica.fold.job(id)).toMatchObject({ status: 'succeeded', result: { by: runner.id } })
    expect(runner.scheduler!.presence().labels).toEqual(['linux', 'gpu'])
    await sim.close()
  }, 60_000)
})
