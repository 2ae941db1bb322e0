/**
 * B1: submit-to-start latency at a steady trickle. 5 peers with 2 slots each; 200 synthetic jobs of
 * 50 ms submitted at 20/s round-robin over the peers. Latency is the runner's `startedAt` (its wall
 * clock; one machine, one clock) minus the client's wall clock just before the submit call.
 */
import { startMesh, waitFor, waitMeshed, type NodeProc } from './mesh-proc.ts'
import { cpuSum, percentile, round, sleep, spread, type JobView } from './mesh-stats.ts'

const PEERS = 5
const JOBS = 200
const RATE_PER_S = 20
const DURATION_MS = 50

interface Submitted { id: string, at: number, origin: number }

/** Fires one submit every 1000/RATE ms on its own schedule, so a slow answer does not delay the next. */
async function submitAtRate (nodes: NodeProc[]): Promise<Submitted[]> {
  const t0 = performance.now()
  const pending: Promise<Submitted>[] = []
  for (let i = 0; i < JOBS; i++) {
    await sleep(t0 + (i * 1000) / RATE_PER_S - performance.now())
    const origin = i % nodes.length
    const at = Date.now()
    pending.push(nodes[origin]!.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: DURATION_MS }).then((r) => ({ id: r.id, at, origin })))
  }
  return await Promise.all(pending)
}

/** Where the time between submit and start goes: submit->announce, announce->award, award->start. */
function breakdown (log: (line: string) => void, subs: Submitted[], byId: Map<string, JobView>): number[] {
  const total: number[] = []
  const announce: number[] = []
  const award: number[] = []
  const start: number[] = []
  let local = 0
  for (const s of subs) {
    const j = byId.get(s.id)
    const a = j?.attempts.find((x) => x.startedAt !== undefined)
    if (j === undefined || a?.startedAt === undefined) continue
    total.push(a.startedAt - s.at)
    announce.push(j.announcedAt - s.at)
    award.push(a.awardedAt - j.announcedAt)
    start.push(a.startedAt - a.awardedAt)
    if (a.runner === j.origin) local++
  }
  log(`  submit -> start        ${spread(total)}`)
  log(`  submit -> announced    ${spread(announce)}   (HTTP + sign + local append)`)
  log(`  announced -> awarded   ${spread(award)}   (gossip, bid, 25 ms bid window, coordinator tick)`)
  log(`  awarded -> started     ${spread(start)}   (gossip of the award, runner tick, started event)`)
  log(`  ${local} of ${total.length} jobs ran on the peer they were submitted to`)
  return total
}

export async function runB1 (log: (line: string) => void): Promise<Record<string, number>> {
  log(`B1: ${PEERS} peers x 2 slots, ${JOBS} jobs of ${DURATION_MS} ms at ${RATE_PER_S}/s spread over the peers`)
  const mesh = await startMesh(PEERS, ['--slots', '2'])
  try {
    if (mesh.failures.length > 0) throw new Error(`B1: ${mesh.failures.length} nodes did not start: ${mesh.failures[0]}`)
    const { nodes } = mesh
    log(`  meshed in ${(await waitMeshed(nodes, 60_000)).toFixed(0)} ms`)
    const pids = nodes.map((n) => n.pid)
    const cpu0 = await cpuSum(pids)
    const t0 = performance.now()
    const subs = await submitAtRate(nodes)
    log(`  while submitting, the ${nodes.length} nodes used ${((await cpuSum(pids) - cpu0) / (performance.now() - t0)).toFixed(2)} cores on average (this machine has 2)`)
    const ids = new Set(subs.map((s) => s.id))
    const jobs = await waitFor('B1 jobs to succeed', async () => {
      const all = await nodes[0]!.get<JobView[]>('/v1/jobs?limit=10000')
      const mine = all.filter((j) => ids.has(j.id))
      return mine.length === ids.size && mine.every((j) => j.status === 'succeeded') ? mine : undefined
    }, 60_000, 250)
    const latencies = breakdown(log, subs, new Map(jobs.map((j) => [j.id, j])))
    return {
      b1_submit_to_start_p50_ms: round(percentile(latencies, 0.5), 0),
      b1_submit_to_start_p99_ms: round(percentile(latencies, 0.99), 0)
    }
  } finally {
    await mesh.stop()
  }
}
