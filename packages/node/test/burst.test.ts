import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, waitFor, waitMeshed, waitSettled, type Cluster, type JobView, type StatusView } from './harness.ts'
import { expectRanOnce, readRuns } from './runs.ts'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.stop(); cluster = undefined })

interface GossipCounts { mesh: { gossip: { ledgerOut: number, eventsOut: number } } }

describe('a burst of jobs announced in one submit (real processes on loopback)', () => {
  it('leaves the origin as one gossip message, reaches every peer with its arrival time, and runs each job once', async () => {
    // No slots at first, so the only ledger gossip is the burst itself.
    cluster = await startCluster(3, () => ['--slots', '0'])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const origin = nodes[0]!
    const before = (await origin.get<GossipCounts>('/v1/status')).mesh.gossip
    const submittedAt = Date.now()
    const { ids } = await origin.post<{ ids: string[] }>('/v1/jobs/synthetic', { durationMs: 10, count: 60 })
    expect(new Set(ids).size).toBe(60)
    for (const node of nodes) {
      await waitFor('the burst to arrive', async () => (await node.get<StatusView>('/v1/status')).counts.queued === 60)
    }
    const after = (await origin.get<GossipCounts>('/v1/status')).mesh.gossip
    expect(after.ledgerOut - before.ledgerOut).toBe(1)
    expect(after.eventsOut - before.eventsOut).toBe(60)
    const far = await nodes[2]!.get<JobView & { arrivedAt?: number }>(`/v1/jobs/${ids[59]!}`)
    expect(far.arrivedAt).toBeGreaterThanOrEqual(submittedAt)
    expect(far.arrivedAt).toBeLessThanOrEqual(Date.now())

    await cluster.add(['--slots', '4'])
    await waitSettled(cluster.nodes, ids, 120_000)
    const jobs = (await origin.get<JobView[]>('/v1/jobs?limit=1000')).filter((j) => ids.includes(j.id))
    expect(jobs.filter((j) => j.status === 'succeeded')).toHaveLength(60)
    expectRanOnce(await readRuns(cluster.dirs), jobs)
  }, 180_000)

  it('1,000 jobs announced at once on three peers with a 2 s lease: heartbeats get through, no runner is judged lost, each job runs once', async () => {
    cluster = await startCluster(3, () => ['--slots', '2', '--lease-ms', '2000'])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const { ids } = await nodes[0]!.post<{ ids: string[] }>('/v1/jobs/synthetic', { durationMs: 0, count: 1000, retry: { max: 0, when: [] } })
    await waitSettled(nodes, ids, 240_000)
    for (const node of nodes) {
      const jobs = await node.get<JobView[]>('/v1/jobs?limit=10000')
      expect(jobs.flatMap((j) => j.attempts).filter((a) => a.outcome === 'lost')).toEqual([])
      expect(jobs.filter((j) => j.status === 'succeeded')).toHaveLength(1000)
    }
    expectRanOnce(await readRuns(cluster.dirs), await nodes[0]!.get<JobView[]>('/v1/jobs?limit=10000'))
  }, 300_000)

  it('refuses a burst larger than the cap with a clear error and announces nothing', async () => {
    cluster = await startCluster(1, () => ['--slots', '0'])
    const node = cluster.nodes[0]!
    await expect(node.post('/v1/jobs/synthetic', { durationMs: 0, count: 1001 })).rejects.toThrow(/400.*count/)
    expect((await node.get<StatusView>('/v1/status')).counts.queued ?? 0).toBe(0)
  }, 60_000)
})
