import { afterEach, describe, expect, it } from 'vitest'
import { cli, startCluster, waitFor, waitMeshed, waitSettled, type Cluster, type JobView, type NodeProc, type StatusView } from './harness.ts'
import { expectRanOnce, readRuns } from './runs.ts'
import { validJson } from './cli-run.ts'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.stop(); cluster = undefined })

async function submit (node: NodeProc, body: Record<string, unknown>): Promise<string> {
  return (await node.post<{ id: string }>('/v1/jobs/synthetic', body)).id
}

/** Every job succeeded, and its runners' records show it ran to its end exactly once, where its result says, never twice at once. */
async function expectExactlyOnce (cluster: Cluster, jobs: JobView[], ids: string[]): Promise<void> {
  const byId = new Map(jobs.map((j) => [j.id, j]))
  for (const id of ids) expect(byId.get(id)?.status, id).toBe('succeeded')
  expectRanOnce(await readRuns(cluster.dirs), ids.map((id) => byId.get(id)!))
}

describe('devq-node grid (real processes on loopback)', () => {
  it('5 peers run 200 synthetic jobs announced from several peers: each exactly once, one state hash', async () => {
    cluster = await startCluster(5, () => ['--slots', '2'])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const ids: string[] = []
    for (let i = 0; i < 200; i++) ids.push(await submit(nodes[i % 5]!, { durationMs: 20 + (i % 5) * 20 }))
    const hash = await waitSettled(nodes, ids, 180_000)
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    for (const node of nodes) await expectExactlyOnce(cluster, await node.get<JobView[]>('/v1/jobs?limit=10000'), ids)
  }, 300_000)

  /**
   * Starts 3 nodes (node 0 only coordinates), runs one long job, stops its runner with `how`, and
   * returns the job once a second attempt exists, with how long that took.
   */
  async function loseRunner (leaseMs: number, how: (runner: NodeProc) => Promise<void>): Promise<{ job: JobView, first: string, ms: number }> {
    cluster = await startCluster(3, (i) => ['--slots', i === 0 ? '0' : '1', '--lease-ms', String(leaseMs)])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const id = await submit(nodes[0]!, { durationMs: 60_000 })
    const first = await waitFor('the job to run', async () => {
      const j = await nodes[0]!.get<JobView>(`/v1/jobs/${id}`)
      return j.status === 'running' ? j.attempts[0]!.runner : undefined
    })
    const stoppedAt = Date.now()
    await how(nodes.find((n) => n.peerId === first)!)
    const job = await waitFor('a second attempt on another peer', async () => {
      const j = await nodes[0]!.get<JobView>(`/v1/jobs/${id}`)
      return j.attempts[1]?.runner !== undefined ? j : undefined
    }, 60_000)
    return { job, first, ms: Date.now() - stoppedAt }
  }

  it('moves the job of a runner killed with SIGKILL to another peer within lease + grace', async () => {
    const { job, first, ms } = await loseRunner(3_000, async (runner) => { await runner.kill() })
    expect(ms).toBeLessThan(3_000 + 10_000)
    expect(job.attempts[0]).toMatchObject({ runner: first, outcome: 'lost', failure: 'runner_lost' })
    expect(job.attempts[1]!.runner).not.toBe(first)
  }, 120_000)

  it('a runner stopped with SIGTERM hands its job back, which another peer takes before a lease passes', async () => {
    const { job, first, ms } = await loseRunner(20_000, async (runner) => {
      await runner.stop()
      expect(await runner.exited).toBe(0)
    })
    expect(ms).toBeLessThan(20_000)
    expect(job.attempts[0]).toMatchObject({ runner: first, outcome: 'lost' })
    expect(job.attempts[1]!.runner).not.toBe(first)
  }, 120_000)

  it('the devq CLI submits synthetic jobs and shows status', async () => {
    cluster = await startCluster(1, () => ['--slots', '2'])
    const dir = cluster.dirs[0]!
    const { ids } = validJson<{ ids: string[] }>('submit', await cli(['submit', '--synthetic', '--duration', '50', '--count', '3', '--priority', 'high', '--json', '--data-dir', dir]))
    expect(ids).toHaveLength(3)
    await waitSettled(cluster.nodes, ids, 60_000)
    const status = JSON.parse(await cli(['status', '--json', '--data-dir', dir])) as StatusView
    expect(status.peer.id).toBe(cluster.nodes[0]!.peerId)
    expect(status.counts.succeeded).toBe(3)
    const human = await cli(['status', '--data-dir', dir])
    expect(human).toContain('succeeded 3')
    await expect(cli(['cancel', ids[0]!, '--data-dir', dir])).rejects.toThrow(/already succeeded/)
  }, 120_000)

  it('when the origin of queued jobs is killed, a failover coordinator awards them', async () => {
    cluster = await startCluster(3, (i) => ['--slots', i === 0 ? '0' : '1', '--lease-ms', '3000'])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const origin = nodes[0]!
    const blockers = [await submit(origin, { durationMs: 4_000 }), await submit(origin, { durationMs: 4_000 })]
    const queued = [await submit(origin, { durationMs: 200 }), await submit(origin, { durationMs: 200 })]
    await waitFor('queued jobs to reach the others', async () => (await nodes[1]!.get<JobView[]>('/v1/jobs')).length >= 4)
    await origin.kill()
    const rest = nodes.slice(1)
    await waitSettled(rest, [...blockers, ...queued], 60_000)
    for (const id of queued) {
      const j = await rest[0]!.get<JobView>(`/v1/jobs/${id}`)
      expect(j.status).toBe('succeeded')
      expect(j.attempts.at(-1)!.awardedBy).not.toBe(origin.peerId)
    }
  }, 120_000)

  it('a killed peer restarted on its data dir catches up by sync and agrees on the hash', async () => {
    cluster = await startCluster(3, () => ['--slots', '1'])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const late = nodes[2]!
    await late.kill()
    const ids: string[] = []
    for (let i = 0; i < 20; i++) ids.push(await submit(nodes[i % 2]!, { durationMs: 30 }))
    await waitSettled(nodes.slice(0, 2), ids, 60_000)
    const back = await cluster.add(['--slots', '1'], late.dataDir)
    expect(back.peerId).toBe(late.peerId)
    await waitSettled([nodes[0]!, nodes[1]!, back], ids, 60_000)
  }, 120_000)
})
