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

  it('a runner that goes silent after announcing a quiet team\'s long beat still loses its job within lease + grace', async () => {
    const sim = createSimulation({ seed: 7, peers: [{ slots: 0 }, { slots: 1 }, { slots: 1 }] })
    await sim.run(2_000)
    const id = await sim.announce(0, { durationMs: 60_000 })
    await sim.run(4_000)
    const runner = sim.peers.findIndex((p) => p.id === job(sim, id).attempts[0]?.runner)
    expect(runner).toBeGreaterThan(0)
    // Its last heartbeats claim the run, as they should, but say the next beat is ten minutes away.
    const s = sim.peers[runner]!.scheduler!
    const honest = s.presence.bind(s)
    s.presence = () => ({ ...honest(), beatMs: 600_000 })
    await sim.run(sim.loop.now() + 3_000)
    const silentAt = sim.loop.now()
    await sim.crash(runner)
    await sim.run(silentAt + 14_000)
    const j = job(sim, id)
    expect(j.attempts[0]).toMatchObject({ outcome: 'lost', failure: 'runner_lost' })
    expect(j.attempts[1]?.runner).toBeDefined()
    expect(j.attempts[1]!.awardedAt - sim.loop.wallMs() + sim.loop.now() - silentAt).toBeLessThan(13_000)
    await sim.close()
  }, 60_000)
})
