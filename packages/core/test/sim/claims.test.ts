import { describe, expect, it } from 'vitest'
import { createSimulation, type Simulation } from '../../src/sim/index.ts'
import { runClaim } from '../../src/scheduler/presence.ts'

const job = (sim: Simulation, id: string, peer = 0) => sim.peers[peer]!.replica.fold.job(id)!

/** Peer `k` (a listed member, signing its own heartbeats) claims `ids` in every heartbeat it sends. */
function hostileClaims (sim: Simulation, k: number, ids: () => string[]): void {
  const s = sim.peers[k]!.scheduler!
  const honest = s.presence.bind(s)
  s.presence = () => ({ ...honest(), runs: ids().map(runClaim) })
}

describe('run claims in heartbeats', () => {
  it('a member that was never awarded a job cannot hold it by claiming to run it', async () => {
    // 0: origin, no slots. 1: honest runner. 2: a member with no slots that claims the job all along.
    const sim = createSimulation({ seed: 5, peers: [{ slots: 0 }, { slots: 1 }, { slots: 0 }] })
    await sim.run(2_000)
    const claimed: string[] = []
    hostileClaims(sim, 2, () => claimed)
    const control = await sim.announce(0, { durationMs: 1_000 })
    const target = await sim.announce(0, { durationMs: 1_000 })
    claimed.push(target)
    expect(await sim.settle(10 * 60_000)).toBe(true)
    expect([job(sim, control).status, job(sim, target).status]).toEqual(['succeeded', 'succeeded'])
    expect(job(sim, target).result!.by).toBe(sim.peers[1]!.id)
    await sim.close()
  }, 60_000)
})
