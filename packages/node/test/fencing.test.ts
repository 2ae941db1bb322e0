/** A runner cut off from the mesh, on real devq-node processes: what it and the rest do, from the runners' own records. */
import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, waitFor, waitMeshed, waitSettled, type Cluster, type JobView, type NodeProc, type StatusView } from './harness.ts'
import { expectRanOnce, readRuns } from './runs.ts'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.stop(); cluster = undefined })

async function submit (node: NodeProc, body: Record<string, unknown>): Promise<string> {
  return (await node.post<{ id: string }>('/v1/jobs/synthetic', body)).id
}

const job = async (node: NodeProc, id: string): Promise<JobView> => await node.get<JobView>(`/v1/jobs/${id}`)
const status = async (node: NodeProc): Promise<StatusView> => await node.get<StatusView>('/v1/status')

/** The runner of the job's current attempt once it runs. */
async function runningOn (node: NodeProc, id: string, attempt = 1): Promise<string> {
  return await waitFor(`job ${id.slice(0, 8)} attempt ${attempt} to run`, async () => {
    const j = await job(node, id)
    return j.status === 'running' && j.attempt === attempt ? j.attempts.find((a) => a.n === attempt)!.runner : undefined
  })
}

/** Cuts `node` off from `others` both ways, and waits until neither side hears the other. */
async function isolate (node: NodeProc, others: readonly NodeProc[]): Promise<void> {
  await node.post('/v1/test/block', { peers: others.map((o) => o.peerId) })
  for (const o of others) await o.post('/v1/test/block', { peers: [node.peerId] })
  await waitFor('the cut-off node to hear and reach nobody', async () => {
    const s = await status(node)
    return s.peers.length === 0 && s.connected.length === 0
  })
  for (const o of others) {
    await waitFor('the rest to stop hearing the cut-off node', async () => {
      const s = await status(o)
      return !s.peers.some((p) => p.id === node.peerId) && !s.connected.includes(node.peerId)
    })
  }
}

describe('fencing (real processes on loopback)', () => {
  it('a runner cut off from everyone stops its steps before its job runs elsewhere; its own job elsewhere runs on untouched', async () => {
    // Node 0 only announces and coordinates; the lease is short so the test is too.
    cluster = await startCluster(4, (i) => ['--slots', i === 0 ? '0' : '1', '--lease-ms', '3000', '--test-hooks'])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const origin = nodes[0]!
    const foreign = await submit(origin, { durationMs: 12_000 })
    const cutId = await runningOn(origin, foreign)
    const cutNode = nodes.find((n) => n.peerId === cutId)!
    const rest = nodes.filter((n) => n !== cutNode)
    // Its own job, which another peer runs (its own slot is taken).
    const own = await submit(cutNode, { durationMs: 12_000 })
    const ownRunner = await runningOn(cutNode, own)

    await isolate(cutNode, rest)
    // Announced while cut off: nobody else can know of it, so the cut-off node builds it itself.
    const alone = await submit(cutNode, { durationMs: 300 })
    const meanwhile = await submit(origin, { durationMs: 300 })
    const second = await runningOn(origin, foreign, 2)
    expect(rest.map((n) => n.peerId)).toContain(second)
    await waitFor('the cut-off node to build its new job', async () => (await job(cutNode, alone)).status === 'succeeded')

    for (const n of nodes) await n.post('/v1/test/unblock')
    const ids = [foreign, own, alone, meanwhile]
    await waitSettled(nodes, ids, 120_000)
    const jobs = await Promise.all(ids.map(async (id) => await job(origin, id)))
    expectRanOnce(await readRuns(cluster.dirs), jobs)
    expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded'])
    expect(jobs[0]!.attempts[0]).toMatchObject({ runner: cutId, outcome: 'lost' })
    // The cut-off origin judged nobody: its job on the other side kept its only attempt.
    expect(jobs[1]!.attempts.map((a) => a.runner)).toEqual([ownRunner])
    expect(jobs[2]!.result!.by).toBe(cutId)
  }, 180_000)
})
