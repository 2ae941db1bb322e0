/**
 * B10: how long one ledger event takes to reach 20 peers. 20 nodes with 0 slots (nobody bids, so
 * the only traffic is the announce and presence); 100 jobs submitted on the first node ~200 ms apart
 * (with fewer, the nearest-rank p99 is just the single worst announce).
 * Each node records when a job's announce arrived in its ledger (`arrivedAt` of `GET /v1/jobs/<id>`,
 * its own wall clock; all nodes share this machine's clock); on the origin that is when the event
 * was written. The figure is the p99 of (arrival at the last other node - written on the origin),
 * without the error of polling; the time from the submit call is logged too. Nodes are polled only
 * to learn that every one has the job.
 */
import { startMesh, waitMeshed, type NodeProc } from './mesh-proc.ts'
import { percentile, round, rssMb, sleep, spread, type StatusView } from './mesh-stats.ts'

const SPACING_MS = 200
const SAMPLES = 100
/**
 * Arrivals are stamped by the nodes, so asking late costs no precision: the first ask waits this
 * long after the submit, and polling never competes with the fan-out it measures for the CPU.
 */
const FIRST_ASK_MS = 150
const POLL_EVERY_MS = 50
/** A node that has not seen the job after this long counts as this long (and is logged). */
const GIVE_UP_MS = 10_000

/** Polls one node until it has job `id`; returns the wall time its announce arrived there. */
async function arrivalAt (node: NodeProc, id: string): Promise<number | undefined> {
  const deadline = Date.now() + GIVE_UP_MS
  await sleep(FIRST_ASK_MS)
  while (Date.now() < deadline) {
    // The fold shows a job a moment before its write is durable; the arrival is stamped after it.
    const job = await node.get<{ arrivedAt?: number }>(`/v1/jobs/${id}`).catch(() => undefined)
    if (job?.arrivedAt !== undefined) return job.arrivedAt
    await sleep(POLL_EVERY_MS)
  }
  return undefined
}

/** One announce: from its write on the origin to the last and the median peer, and from the submit call to the last. */
interface Sample { lastMs: number, medianMs: number, fromSubmitMs: number, missing: number }

async function fanOutOnce (nodes: NodeProc[]): Promise<Sample> {
  const at = Date.now()
  const { id } = await nodes[0]!.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 0 })
  const seen = await Promise.all(nodes.map(async (node) => await arrivalAt(node, id)))
  // The origin's own arrival stamp is when the event was written there: where its fan-out starts.
  const written = seen[0] ?? at
  const delays = seen.slice(1).map((t) => (t === undefined ? GIVE_UP_MS : t - written))
  const last = Math.max(...delays)
  return { lastMs: last, medianMs: percentile(delays, 0.5), fromSubmitMs: written - at + last, missing: seen.filter((t) => t === undefined).length }
}

async function describeMesh (log: (line: string) => void, nodes: NodeProc[], meshed: boolean): Promise<void> {
  const views = await Promise.all(nodes.map(async (n) => await n.get<StatusView>('/v1/status')))
  const conns = views.map((s) => s.connected.length)
  const heard = views.map((s) => s.peers.length)
  const rss = await Promise.all(nodes.map(async (n) => await rssMb(n.pid).catch(() => 0)))
  log(`  connections per node: min ${Math.min(...conns)} max ${Math.max(...conns)}; RSS of all ${nodes.length} nodes ${rss.reduce((a, b) => a + b, 0).toFixed(0)} MiB`)
  if (!meshed) log(`  NOT MESHED: peers heard by presence per node: ${heard.join(',')}`)
}

/** What one fan-out run measured: written on the origin -> last node, per job (empty when presence never meshed). */
export interface FanoutRun { last: number[], meshed: boolean, nodes: number }

/** Starts `peers` nodes, waits (up to `meshedTimeoutMs`) for presence to mesh, and times `jobs` announces. */
export async function fanout (log: (line: string) => void, peers: number, jobs: number, meshedTimeoutMs: number): Promise<FanoutRun> {
  log(`B10: ${peers} peers with 0 slots, ${jobs} jobs submitted on one peer ${SPACING_MS} ms apart`)
  const t0 = performance.now()
  const mesh = await startMesh(peers, ['--slots', '0'])
  try {
    const { nodes } = mesh
    log(`  started ${nodes.length} of ${peers} nodes in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    for (const f of mesh.failures) log(`  a node did not start: ${f}`)
    const meshed = await waitMeshed(nodes, meshedTimeoutMs).then((ms) => { log(`  meshed (every node hears ${nodes.length - 1} others) in ${ms.toFixed(0)} ms`); return true }, () => false)
    // gossipsub grafts its topic mesh on its 1 s heartbeat; give it a few before timing the topic.
    await sleep(3_000)
    await describeMesh(log, nodes, meshed)
    if (!meshed) return { last: [], meshed, nodes: nodes.length }
    const samples: Sample[] = []
    for (let i = 0; i < jobs; i++) {
      const start = performance.now()
      samples.push(await fanOutOnce(nodes))
      await sleep(start + SPACING_MS - performance.now())
    }
    const last = samples.map((s) => s.lastMs)
    const missing = samples.reduce((sum, s) => sum + s.missing, 0)
    log(`  written on the origin -> last peer    ${spread(last)}`)
    log(`  written on the origin -> median peer  ${spread(samples.map((s) => s.medianMs))}`)
    log(`  submit call -> last peer              ${spread(samples.map((s) => s.fromSubmitMs))} (adds the API call, signing and the fsynced write)`)
    if (missing > 0) log(`  ${missing} (job, node) pairs never arrived within ${GIVE_UP_MS} ms (counted as ${GIVE_UP_MS} ms)`)
    return { last, meshed, nodes: nodes.length }
  } finally {
    await mesh.stop()
  }
}

/**
 * Reported instead when 20 nodes do not all start or mesh on this machine: the largest mesh the
 * 20-node figure used to fall back to, kept so a machine too small for 20 still reports a figure.
 */
const FALLBACK_PEERS = 11

export async function runB10 (log: (line: string) => void): Promise<Record<string, number | string>> {
  const full = await fanout(log, 20, SAMPLES, 20_000)
  if (full.meshed && full.nodes === 20) return { b10_fanout_20_peers_p99_ms: round(percentile(full.last, 0.99), 0) }
  const why = full.nodes < 20 ? `only ${full.nodes} of 20 nodes started` : 'presence never meshed within 20 s'
  log(`  20 peers not measurable: ${why}; measuring ${FALLBACK_PEERS} peers instead`)
  const small = await fanout(log, FALLBACK_PEERS, SAMPLES, 30_000)
  return {
    b10_20_peers: `not measured: ${why}`,
    ...(small.meshed ? { [`b10_fanout_${FALLBACK_PEERS}_peers_p99_ms`]: round(percentile(small.last, 0.99), 0) } : {})
  }
}
