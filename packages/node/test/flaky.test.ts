/**
 * Which jobs the views call flaky, judged on jobs the real fold and scheduler ran in the core's
 * simulation (a job failing on its first attempt and passing its retry is in downloads.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { createSimulation } from '@devq/core/sim'
import { isFlaky } from '../src/view-jobs.ts'

describe('flaky jobs', () => {
  it('a job that succeeded after its runner was lost is not flaky, nor one that failed, nor one that passed at once', async () => {
    // 0: the origin, no slots; 1 and 2 run.
    const sim = createSimulation({ seed: 21, peers: [{ slots: 0 }, { slots: 1 }, { slots: 1 }] })
    await sim.run(2_000)
    const lost = await sim.announce(0, { durationMs: 30_000, retry: { max: 1, when: ['runner_lost'] } })
    const failed = await sim.announce(0, { durationMs: 1_000, exitCode: 1, retry: { max: 1, when: ['exit_code:2'] } })
    await sim.run(4_000)
    const fold = sim.peers[0]!.replica.fold
    const runner = sim.peers.findIndex((p) => p.id === fold.job(lost)!.attempts[0]?.runner)
    expect(runner).toBeGreaterThan(0)
    await sim.crash(runner)
    const passed = await sim.announce(0, { durationMs: 1_000 })
    expect(await sim.settle(5 * 60_000)).toBe(true)

    expect(fold.job(lost)).toMatchObject({ status: 'succeeded', attempts: [{ outcome: 'lost' }, { outcome: 'succeeded' }] })
    expect(fold.job(failed)).toMatchObject({ status: 'failed', attempts: [{ outcome: 'failed' }] })
    expect(fold.job(passed)).toMatchObject({ status: 'succeeded', attempts: [{ outcome: 'succeeded' }] })
    expect([lost, failed, passed].map((id) => isFlaky(fold.job(id)!))).toEqual([false, false, false])
    await sim.close()
  }, 60_000)
})
