/**
 * B2: burst throughput. 5 peers with 2 slots each; 1000 synthetic jobs of 0 ms announced at once
 * (every peer announces 200 in one submit). Throughput is 1000 over the time from the submits to the
 * moment the last peer counts all 1000 terminal. Then exactly-once is checked on every peer's own
 * view, and the state hashes are compared.
 */
import { startMesh, waitFor, waitMeshed, type NodeProc } from './mesh-proc.ts'
import { cpuSum, round, sleep, spread, TERMINAL, terminalCount, type JobView, type StatusView } from './mesh-stats.ts'

const PEERS = 5
const JOBS = 1000
const SETTLE_TIMEOUT_MS = 150_000
/**
 * Terminal counts are polled this often; it bounds the resolution of the end time. Each status call
 * hashes the whole state on the node, so polling much faster would take CPU from the run itself.
 */
const POLL_MS = 200

async function submitBurst (nodes: NodeProc[]): Promise<string[]> {
  const perPeer = JOBS / nodes.length
  const answers = await Promise.all(nodes.map(async (node) => await node.post<{ ids: string[] }>('/v1/jobs/synthetic', { durationMs: 0, count: perPeer })))
  return answers.flatMap((a) => a.ids)
}

/** Polls every peer's terminal count; returns ms since `t0` when each peer first counted all jobs. */
async function awaitTerminal (nodes: NodeProc[], t0: number, callMs: number[]): Promise<(number | undefined)[]> {
  const doneAt: (number | undefined)[] = nodes.map(() => undefined)
  const deadline = t0 + SETTLE_TIMEOUT_MS
  while (doneAt.some((d) => d === undefined) && performance.now() < deadline) {
    await Promise.all(nodes.map(async (node, i) => {
      if (doneAt[i] !== undefined) return
      const sent = performance.now()
      const s = await node.get<StatusView>('/v1/status').catch(() => undefined)
      callMs.push(performance.now() - sent)
      if (s !== undefined && terminalCount(s) >= JOBS) doneAt[i] = performance.now() - t0
    }))
    await sleep(POLL_MS)
  }
  return doneAt
}

/** Completion rate while the burst was still being submitted, and after. */
function phases (log: (line: string) => void, jobs: JobView[], ids: ReadonlySet<string>, wall0: number, submitMs: number): void {
  const ends = jobs.filter((j) => ids.has(j.id)).map((j) => j.attempts.find((a) => a.outcome === 'succeeded')?.finishedAt).filter((t) => t !== undefined)
  const cut = wall0 + submitMs
  const during = ends.filter((t) => t <= cut).length
  const last = Math.max(...ends)
  log(`  finished while submitting: ${during} (${(during / (submitMs / 1000)).toFixed(0)}/s); after: ${ends.length - during} in ${((last - cut) / 1000).toFixed(1)} s (${((ends.length - during) / ((last - cut) / 1000)).toFixed(0)}/s)`)
}

/** Lost: not succeeded on some peer. Double: >1 succeeded attempt, or peers disagree on the result. */
function audit (views: JobView[][], ids: string[]): { lost: number, double: number, retried: number } {
  const maps = views.map((jobs) => new Map(jobs.map((j) => [j.id, j])))
  let lost = 0
  let double = 0
  let retried = 0
  for (const id of ids) {
    const js = maps.map((m) => m.get(id))
    if (js.some((j) => j?.status !== 'succeeded')) lost++
    const results = new Set(js.map((j) => JSON.stringify(j?.result ?? null)))
    if (js.some((j) => (j?.attempts.filter((a) => a.outcome === 'succeeded').length ?? 0) > 1) || results.size > 1) double++
    if ((js[0]?.attempts.length ?? 0) > 1) retried++
  }
  return { lost, double, retried }
}

export async function runB2 (log: (line: string) => void): Promise<Record<string, number | boolean>> {
  log(`B2: ${PEERS} peers x 2 slots, ${JOBS} jobs of 0 ms announced at once (${JOBS / PEERS} per peer in one submit)`)
  const mesh = await startMesh(PEERS, ['--slots', '2'])
  try {
    if (mesh.failures.length > 0) throw new Error(`B2: ${mesh.failures.length} nodes did not start: ${mesh.failures[0]}`)
    const { nodes } = mesh
    log(`  meshed in ${(await waitMeshed(nodes, 60_000)).toFixed(0)} ms`)
    const pids = nodes.map((n) => n.pid)
    const cpu0 = await cpuSum(pids)
    const wall0 = Date.now()
    const t0 = performance.now()
    const ids = await submitBurst(nodes)
    const submitMs = performance.now() - t0
    log(`  submitted ${ids.length} in ${submitMs.toFixed(0)} ms (${(ids.length / (submitMs / 1000)).toFixed(0)} submits/s); polling terminal counts every ${POLL_MS} ms`)
    const callMs: number[] = []
    const doneAt = await awaitTerminal(nodes, t0, callMs)
    log(`  status calls while polling: ${spread(callMs)}`)
    log(`  all terminal per peer after (ms): ${doneAt.map((d) => (d === undefined ? 'never' : d.toFixed(0))).join(', ')}`)
    const allDone = doneAt.every((d) => d !== undefined)
    const elapsed = allDone ? Math.max(...(doneAt as number[])) : SETTLE_TIMEOUT_MS
    const cpu = await cpuSum(pids) - cpu0
    const events = (await nodes[0]!.get<StatusView>('/v1/status')).ledger.size
    log(`  the ${nodes.length} nodes used ${(cpu / elapsed).toFixed(2)} cores on average (this machine has 2): ${(cpu / JOBS).toFixed(1)} ms of CPU per job, ${(cpu / nodes.length / events).toFixed(2)} ms per ledger event per node (${events} events)`)
    const hashes = await waitFor('B2 state hashes to agree', async () => {
      const hs = new Set((await Promise.all(nodes.map(async (n) => await n.get<StatusView>('/v1/status')))).map((s) => s.ledger.stateHash))
      return hs.size === 1 ? hs : undefined
    }, 10_000, 250).catch(() => undefined)
    const views = await Promise.all(nodes.map(async (n) => await n.get<JobView[]>('/v1/jobs?limit=10000')))
    phases(log, views[0]!, new Set(ids), wall0, submitMs)
    const { lost, double, retried } = audit(views, ids)
    const nonTerminal = views[0]!.filter((j) => !TERMINAL.has(j.status)).length
    log(`  ${retried} jobs needed more than one attempt; ${nonTerminal} not terminal on the first peer; hashes ${hashes === undefined ? 'differ' : 'agree'}`)
    return {
      b2_burst_jobs_per_s: round(JOBS / (elapsed / 1000), 1),
      b2_lost: lost,
      b2_double: double,
      hash_agree: hashes !== undefined
    }
  } finally {
    await mesh.stop()
  }
}
