import { describe, expect, it } from 'vitest'
import { buildKey } from '../../src/index.ts'
import { createSimulation, type Simulation } from '../../src/sim/index.ts'
import { completedRuns, overlaps } from './runs.ts'

const grid = (seed: number, n = 3, labels?: (i: number) => string[]): Simulation =>
  createSimulation({ seed, peers: Array.from({ length: n }, (_, i) => ({ slots: 1, ...(labels === undefined ? {} : { labels: labels(i) }) })) })

const job = (sim: Simulation, id: string) => sim.peers[0]!.replica.fold.job(id)!

/** Most runs in progress at one moment (a run that ends when another starts does not overlap it). */
function maxConcurrent (runs: readonly { startMs: number, endMs?: number }[]): number {
  const edges = runs.flatMap((r) => [[r.startMs, 1], [r.endMs ?? Infinity, -1]] as const)
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let most = 0
  for (const [, step] of edges) most = Math.max(most, now += step)
  return most
}

describe('scheduling behaviour a team notices', () => {
  it('awards as soon as every peer that could run the job has bid, without waiting out the bid window', async () => {
    const sim = createSimulation({ seed: 7, peers: [{ slots: 1 }, { slots: 1 }, { slots: 1, labels: ['linux', 'gpu'] }], policy: { bidWindowMs: 30_000 } })
    await sim.run(2_000)
    const id = await sim.announce(0, { durationMs: 500, labels: ['gpu'] })
    expect(await sim.settle(120_000)).toBe(true)
    const j = job(sim, id)
    expect(j).toMatchObject({ status: 'succeeded', result: { by: sim.peers[2]!.id } })
    // Only the gpu peer can take the job, so once it has bid no better bid can come.
    expect(j.attempts[0]!.awardedAt - j.announcedAt).toBeLessThan(5_000)
    await sim.close()
  })

  it('awards without waiting out the bid window when no peer that has not bid scores above the best bid', async () => {
    // Origin without slots; a big box and a small one are both free, and both could run the job.
    const sim = createSimulation({ seed: 7, peers: [{ slots: 0 }, { slots: 2, cores: 32 }, { slots: 1, cores: 2 }], policy: { bidWindowMs: 30_000 } })
    await sim.run(2_000)
    const id = await sim.announce(0, { durationMs: 500 })
    expect(await sim.settle(120_000)).toBe(true)
    const j = job(sim, id)
    expect(j).toMatchObject({ status: 'succeeded', result: { by: sim.peers[1]!.id } })
    // The small box scores lower by the heartbeats everyone has, so it did not bid and is not waited for.
    expect(j.attempts[0]!.awardedAt - j.announcedAt).toBeLessThan(5_000)
    await sim.close()
  })

  it('a job waits for no heartbeat when a runner\'s load moved since its last one', async () => {
    // Heartbeats far apart; the first runner's load rises after it sent one. By its own fresh load
    // it would leave the job to the second runner, and the second, by the heartbeat, to the first.
    const sim = createSimulation({
      seed: 11,
      peers: [{ slots: 0 }, { slots: 1, loadAt: (ms) => (ms < 3_000 ? 0.1 : 0.9) }, { slots: 1, loadAt: () => 0.5 }],
      timings: { presenceMs: 8_000 }
    })
    await sim.run(4_000)
    const id = await sim.announce(0, { durationMs: 500 })
    expect(await sim.settle(120_000)).toBe(true)
    const j = job(sim, id)
    expect(j.status).toBe('succeeded')
    expect(j.attempts[0]!.awardedAt - j.announcedAt).toBeLessThan(2_000)
    await sim.close()
  })

  it.each([['idle', 'stops lending', 1], ['shared', 'scores lower', 0.5]] as const)('a job waits for no heartbeat when a %s laptop\'s user comes back and it %s', async (shareMode, _what, otherLoad) => {
    // The laptop scores best by its last heartbeat; its user returns after it sent one.
    const sim = createSimulation({
      seed: 12,
      peers: [{ slots: 0 }, { slots: 1, shareMode, userActiveAt: (ms) => ms >= 3_000 }, { slots: 1, loadAt: () => otherLoad }],
      timings: { presenceMs: 8_000 }
    })
    await sim.run(4_000)
    const id = await sim.announce(0, { durationMs: 500 })
    expect(await sim.settle(120_000)).toBe(true)
    const j = job(sim, id)
    expect(j).toMatchObject({ status: 'succeeded', result: { by: sim.peers[2]!.id } })
    expect(j.attempts[0]!.awardedAt - j.announcedAt).toBeLessThan(2_000)
    await sim.close()
  })

  it('runs a job only on a peer whose labels cover the job\'s', async () => {
    const sim = grid(1, 3, (i) => (i === 2 ? ['linux', 'gpu'] : ['linux']))
    await sim.run(2_000)
    const ids = await Promise.all([1, 2, 3].map(async () => await sim.announce(0, { durationMs: 1_000, labels: ['gpu'] })))
    expect(await sim.settle(120_000)).toBe(true)
    for (const id of ids) expect(job(sim, id)).toMatchObject({ status: 'succeeded', result: { by: sim.peers[2]!.id } })
    for (const id of ids) expect(completedRuns(sim, id)).toEqual([`${sim.peers[2]!.id}#1`])
    await sim.close()
  })

  it('retries an exit code the pipeline names, on another runner, and fails other codes at once', async () => {
    const sim = grid(2)
    await sim.run(2_000)
    const flaky = await sim.announce(0, { durationMs: 500, exitCode: 75, retry: { max: 2, when: ['exit_code:75'] } })
    const broken = await sim.announce(0, { durationMs: 500, exitCode: 1, retry: { max: 2, when: ['exit_code:75'] } })
    expect(await sim.settle(120_000)).toBe(true)
    const f = job(sim, flaky)
    expect(f.status).toBe('failed')
    expect(f.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed'])
    expect(new Set(f.attempts.map((a) => a.runner)).size).toBeGreaterThan(1)
    // Each attempt ran to its end once, on the runner the fold names, one after another.
    expect(completedRuns(sim, flaky)).toEqual(f.attempts.map((a) => `${a.runner}#${a.n}`))
    expect(completedRuns(sim, broken)).toHaveLength(1)
    expect(overlaps(sim)).toEqual([])
    expect(job(sim, broken).attempts).toHaveLength(1)
    await sim.close()
  })

  it('keeps one running and one pending job per concurrency group; newer pending replaces older', async () => {
    const sim = grid(3)
    await sim.run(2_000)
    const group = { name: 'refs/heads/main', cancelInProgress: false }
    const first = await sim.announce(0, { durationMs: 5_000, group })
    await sim.run(3_000)
    const second = await sim.announce(0, { durationMs: 5_000, group })
    await sim.run(sim.loop.now() + 500)
    const third = await sim.announce(0, { durationMs: 5_000, group })
    // Another origin's job in a group of the same name is in a group of its own.
    const foreign = await sim.announce(1, { durationMs: 5_000, group })
    expect(await sim.settle(120_000)).toBe(true)
    expect(job(sim, first).status).toBe('succeeded')
    expect(job(sim, second)).toMatchObject({ status: 'superseded', supersededBy: third })
    expect(job(sim, third).status).toBe('succeeded')
    expect(job(sim, third).attempts[0]!.awardedAt).toBeGreaterThanOrEqual(job(sim, first).result!.at)
    expect(job(sim, foreign).status).toBe('succeeded')
    expect(job(sim, foreign).attempts[0]!.awardedAt).toBeLessThan(job(sim, first).result!.at)
    await sim.close()
  })

  it('cancel-in-progress stops the running job of the group', async () => {
    const sim = grid(4)
    await sim.run(2_000)
    const group = { name: 'pr-7', cancelInProgress: true }
    const first = await sim.announce(0, { durationMs: 60_000, group })
    await sim.run(5_000)
    expect(job(sim, first).status).toBe('running')
    const second = await sim.announce(0, { durationMs: 1_000, group })
    expect(await sim.settle(120_000)).toBe(true)
    expect(job(sim, first).status).toBe('cancelled')
    expect(job(sim, second).status).toBe('succeeded')
    const run = sim.executions.find((r) => r.job === first)!
    expect(run.completed).toBe(false)
    expect(run.endMs! - run.startMs).toBeLessThan(10_000)
    await sim.close()
  })

  it('a cancel request stops a running job on its runner; a timeout fails it', async () => {
    const sim = grid(5)
    await sim.run(2_000)
    const long = await sim.announce(0, { durationMs: 600_000 })
    const slow = await sim.announce(1, { durationMs: 600_000, timeoutMs: 5_000 })
    await sim.run(5_000)
    // A member that is neither the origin nor an admin cannot cancel it; the origin can.
    await sim.peers[2]!.publish('job.cancel_requested', { job: long, reason: 'not yours' })
    await sim.run(2_000)
    expect(job(sim, long).status).toBe('running')
    await sim.peers[0]!.publish('job.cancel_requested', { job: long, reason: 'wrong branch' })
    expect(await sim.settle(120_000)).toBe(true)
    expect(job(sim, long)).toMatchObject({ status: 'cancelled', cancelReason: 'wrong branch' })
    expect(sim.executions.find((r) => r.job === long)!.completed).toBe(false)
    expect(job(sim, slow)).toMatchObject({ status: 'failed', attempts: [{ failure: 'timeout' }] })
    await sim.close()
  })

  it('reuses its origin\'s own successful result with the same build key; another member\'s only when a trusted peer built it', async () => {
    const sim = grid(6)
    await sim.run(2_000)
    const key = buildKey({ tree: 'a'.repeat(40), pipelineJob: 'build', labels: ['linux'], env: { CI: 'true' } })
    const first = await sim.announce(0, { durationMs: 2_000, cacheKey: key })
    expect(await sim.settle(60_000)).toBe(true)
    const again = await sim.announce(0, { durationMs: 2_000, cacheKey: key })
    expect(await sim.settle(60_000)).toBe(true)
    expect(job(sim, again)).toMatchObject({ status: 'cached', result: { cachedFrom: first } })
    expect(sim.executions.filter((r) => r.job === again)).toHaveLength(0)
    // The runner of the first result is a plain member: another origin builds for itself.
    const other = await sim.announce(1, { durationMs: 2_000, cacheKey: key })
    expect(await sim.settle(60_000)).toBe(true)
    expect(job(sim, other).status).toBe('succeeded')
    expect(sim.executions.filter((r) => r.job === other)).toHaveLength(1)
    await sim.close()
  })

  it('never runs more jobs of a repo at once than its cap, while other repos use the free slots', async () => {
    const sim = grid(9, 4)
    await sim.run(2_000)
    const capped = await Promise.all(Array.from({ length: 6 }, async () => await sim.announce(0, { durationMs: 4_000, repo: 'big', repoCap: 2 })))
    const free = await Promise.all(Array.from({ length: 2 }, async () => await sim.announce(1, { durationMs: 4_000, repo: 'small' })))
    expect(await sim.settle(120_000)).toBe(true)
    const runs = sim.executions.filter((r) => capped.includes(r.job))
    expect(maxConcurrent(runs)).toBeLessThanOrEqual(2)
    for (const id of free) expect(sim.executions.find((r) => r.job === id)!.startMs).toBeLessThan(3_000)
    for (const id of [...capped, ...free]) expect(job(sim, id).status).toBe('succeeded')
    await sim.close()
  })

  it('runs sensitive jobs only on trusted peers', async () => {
    const sim = grid(7, 4)
    await sim.run(1_000)
    await sim.peers[0]!.publish('team.created', { name: 'team', mode: 'open' })
    await sim.peers[0]!.publish('team.member_added', { peer: sim.peers[3]!.id, role: 'trusted' })
    await sim.run(3_000)
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(async () => await sim.announce(1, { durationMs: 5_000, sensitive: true })))
    // Peer 2 bids for every one of them anyway, with the best score a bid can claim.
    const score = { freeSlots: 64, cores: 64, load: 0, warm: true, shareMode: 'dedicated' as const, userActive: false, recentFailures: 0 }
    await Promise.all(ids.map(async (id) => { await sim.peers[2]!.publish('job.bid', { job: id, attempt: 1, labels: ['linux'], score }) }))
    expect(await sim.settle(120_000)).toBe(true)
    // Peer 0 created the team (admin), peer 3 is trusted, peer 1 announced them; peer 2 may not run them.
    for (const id of ids) expect(job(sim, id).attempts.map((a) => a.runner)).not.toContain(sim.peers[2]!.id)
    expect(sim.executions.filter((r) => r.peer === sim.peers[2]!.id)).toHaveLength(0)
    await sim.close()
  })

  it('does not let an untrusted bid on a sensitive job hold it back from the trusted peer', async () => {
    // Peer 0 (admin) and peer 1 (the origin) have no slots: only trusted peer 3 may run the job.
    const sim = createSimulation({ seed: 8, peers: [{ slots: 0 }, { slots: 0 }, { slots: 1 }, { slots: 1 }] })
    await sim.run(1_000)
    await sim.peers[0]!.publish('team.created', { name: 'team', mode: 'open' })
    await sim.peers[0]!.publish('team.member_added', { peer: sim.peers[3]!.id, role: 'trusted' })
    await sim.run(3_000)
    const id = await sim.announce(1, { durationMs: 1_000, sensitive: true })
    const score = { freeSlots: 64, cores: 64, load: 0, warm: true, shareMode: 'dedicated' as const, userActive: false, recentFailures: 0 }
    await sim.peers[2]!.publish('job.bid', { job: id, attempt: 1, labels: ['linux'], score })
    expect(await sim.settle(120_000)).toBe(true)
    const j = job(sim, id)
    expect(j).toMatchObject({ status: 'succeeded', result: { by: sim.peers[3]!.id } })
    expect(j.attempts[0]!.awardedAt - j.announcedAt).toBeLessThan(2_000)
    await sim.close()
  })

  it('a runner that shuts down cleanly hands its job back at once', async () => {
    // Peer 0 announces and coordinates but has no slots, so the runner is always another peer.
    const sim = createSimulation({ seed: 10, peers: [{ slots: 0 }, { slots: 1 }, { slots: 1 }] })
    await sim.run(2_000)
    const id = await sim.announce(0, { durationMs: 30_000 })
    await sim.run(4_000)
    const runner = sim.peers.findIndex((p) => p.id === job(sim, id).attempts[0]?.runner)
    expect(runner).toBeGreaterThan(0)
    const stoppedAt = sim.loop.now()
    await sim.peers[runner]!.shutdown()
    await sim.run(stoppedAt + 2_000)
    const j = job(sim, id)
    expect(j.attempts[0]).toMatchObject({ outcome: 'lost' })
    expect(j.attempts[1]?.runner).toBeDefined()
    expect(j.attempts[1]!.runner).not.toBe(sim.peers[runner]!.id)
    // The stopped runner's steps ended before the next attempt's began.
    expect(overlaps(sim)).toEqual([])
    await sim.close()
  })

  it('moves a crashed runner\'s job to another runner within lease + grace', async () => {
    const sim = grid(8)
    await sim.run(2_000)
    const id = await sim.announce(0, { durationMs: 30_000 })
    await sim.run(4_000)
    const runner = sim.peers.findIndex((p) => p.id === job(sim, id).attempts[0]?.runner)
    expect(runner).toBeGreaterThan(0)
    const crashedAt = sim.loop.now()
    await sim.crash(runner)
    await sim.run(crashedAt + 14_000)
    const j = job(sim, id)
    expect(j.attempts[0]).toMatchObject({ outcome: 'lost', failure: 'runner_lost' })
    expect(j.attempts[1]?.runner).not.toBe(sim.peers[runner]!.id)
    expect(j.attempts[1]!.awardedAt - sim.loop.wallMs() + sim.loop.now() - crashedAt).toBeLessThan(13_000)
    expect(await sim.settle(120_000)).toBe(true)
    expect(job(sim, id).status).toBe('succeeded')
    expect(overlaps(sim)).toEqual([])
    expect(completedRuns(sim, id)).toEqual([`${job(sim, id).result!.by}#2`])
    await sim.close()
  })
})
