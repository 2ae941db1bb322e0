/** Peers whose wall clocks are wrong, on real devq-node processes: nothing is decided on another peer's clock. */
import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, waitFor, waitMeshed, waitSettled, type Cluster, type JobView, type NodeProc } from './harness.ts'
import { expectRanOnce, readRuns } from './runs.ts'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.stop(); cluster = undefined })

const TEN_MINUTES = 600_000
const LEASE = ['--lease-ms', '3000']

interface TimedJob extends JobView { attempts: (JobView['attempts'][number] & { startedAt?: number, finishedAt?: number })[] }

const job = async (node: NodeProc, id: string): Promise<TimedJob> => await node.get<TimedJob>(`/v1/jobs/${id}`)
const submit = async (node: NodeProc, body: Record<string, unknown>): Promise<string[]> => (await node.post<{ ids: string[] }>('/v1/jobs/synthetic', body)).ids

/** No attempt of `ids` was judged lost on any of `nodes`, and each job succeeded. */
async function expectNothingLost (nodes: readonly NodeProc[], ids: readonly string[]): Promise<void> {
  for (const node of nodes) {
    const jobs = await Promise.all(ids.map(async (id) => await job(node, id)))
    expect(jobs.flatMap((j) => j.attempts).filter((a) => a.outcome === 'lost')).toEqual([])
    expect(jobs.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'))
  }
}

describe('wrong wall clocks (real processes on loopback)', () => {
  it('a runner whose wall clock steps back 10 minutes in the middle of a lease stays live and loses nothing', async () => {
    // The first peer only announces and coordinates; the stepper runs, and its clock steps on SIGUSR2.
    cluster = await startCluster(1, () => ['--slots', '0', ...LEASE])
    const origin = cluster.nodes[0]!
    const stepper = await cluster.add(['--slots', '1', ...LEASE, '--fault-clock-step-ms', String(-TEN_MINUTES)])
    await waitMeshed(cluster.nodes)
    const [id] = await submit(origin, { durationMs: 8_000 })
    await waitFor('the job to run on the stepper', async () => (await job(origin, id!)).status === 'running')
    stepper.proc.kill('SIGUSR2')
    await waitFor('the stepper to say its clock stepped', async () => stepper.log().includes('wall clock stepped'))
    const ended = await waitFor('the attempt to end, or be judged lost', async () => {
      const j = await job(origin, id!)
      return j.status === 'succeeded' || j.attempts.some((a) => a.outcome === 'lost') ? j : undefined
    }, 60_000)
    expect(ended.attempts.map((a) => a.outcome)).toEqual(['succeeded'])
    await waitSettled(cluster.nodes, [id!], 60_000)
    await expectNothingLost(cluster.nodes, [id!])
    // It wrote its finish ten minutes before its start, and no other peer minded.
    const a = (await job(origin, id!)).attempts[0]!
    expect(a.finishedAt! - a.startedAt!).toBeLessThan(-TEN_MINUTES / 2)
    expectRanOnce(await readRuns(cluster.dirs), [await job(origin, id!)])
  }, 120_000)

  it('jobs announced by a peer whose clock is 10 minutes ahead run at once on the others', async () => {
    cluster = await startCluster(1, () => ['--slots', '1', ...LEASE])
    const ahead = await cluster.add(['--slots', '0', ...LEASE, '--fault-clock-offset-ms', String(TEN_MINUTES)])
    await waitMeshed(cluster.nodes)
    const ids = await submit(ahead, { durationMs: 300, count: 3 })
    await waitSettled(cluster.nodes, ids, 60_000)
    await expectNothingLost(cluster.nodes, ids)
    expectRanOnce(await readRuns(cluster.dirs), await Promise.all(ids.map(async (id) => await job(ahead, id))))
  }, 120_000)
})
