import { describe, expect, it } from 'vitest'
import { createSimulation } from '../../src/sim/index.ts'
import { completedRuns, overlaps } from './runs.ts'

describe('sharing turned off between a bid and its award', () => {
  it('hands the award back instead of starting it, and the job runs elsewhere', async () => {
    // 0: origin, no slots. 1: the laptop whose user turns sharing off. 2: a smaller box.
    const sim = createSimulation({ seed: 11, peers: [{ slots: 0 }, { slots: 1, cores: 16 }, { slots: 1, cores: 1 }] })
    await sim.run(2_000)
    const laptop = sim.peers[1]!
    const s = laptop.scheduler!
    const honest = s.presence.bind(s)
    let id = ''
    // Off from the moment it has bid for the job: the award that follows finds it off.
    const hasBid = (): boolean => {
      const j = laptop.replica.fold.job(id)
      return j !== undefined && (j.bids.some((b) => b.peer === laptop.id) || j.attempts.some((a) => a.runner === laptop.id))
    }
    s.presence = () => (hasBid() ? { ...honest(), shareMode: 'off', freeSlots: 0 } : honest())
    id = await sim.announce(0, { durationMs: 1_000 })
    expect(await sim.settle(5 * 60_000)).toBe(true)
    const j = sim.peers[0]!.replica.fold.job(id)!
    expect(j.attempts[0]!.runner).toBe(laptop.id)
    expect(j.attempts[0]).toMatchObject({ outcome: 'lost' })
    expect(j.status).toBe('succeeded')
    expect(j.result!.by).toBe(sim.peers[2]!.id)
    expect(sim.executions.filter((r) => r.peer === laptop.id)).toEqual([])
    expect(completedRuns(sim, id)).toEqual([`${sim.peers[2]!.id}#2`])
    expect(overlaps(sim)).toEqual([])
    await sim.close()
  }, 60_000)
})
