/**
 * B10: how long one ledger event takes to reach 20 peers. 20 nodes with 0 slots (nobody bids, so
 * the only traffic is the announce and presence); 30 jobs submitted on the first node ~200 ms apart.
 * For each, every node's `GET /v1/jobs/<id>` is polled until it answers 200; the figure is the p99 of
 * (arrival at the last node - submit call). A poll loop per node, 10 ms between polls, all nodes
 * concurrently; a node is no longer polled once it has the job, so polling load stays small.
 * When 20 nodes on one IP cannot mesh (see COLOCATION_FREE_PEERS), 11 nodes are measured instead.
 */
import { startMesh, waitMeshed, type NodeProc } from './mesh-proc.ts'
import { percentile, round, rssMb, sleep, spread, type StatusView } from './mesh-stats.ts'

const SPACING_MS = 200
const POLL_EVERY_MS = 10
/** A node that has not seen the job after this long counts as this long (and is logged). */
const GIVE_UP_MS = 10_000

/** Polls one node until it has job `id`; returns the wall time the 200 arrived, and the poll round trips. */
async function pollUntilSeen (node: NodeProc, id: string, rtts: number[]): Promise<number | undefined> {
  const deadline = Date.now() + GIVE_UP_MS
  while (Date.now() < deadline) {
    const sent = performance.now()
    const code = await node.status(`/v1/jobs/${id}`).catch(() => 0)
    rtts.push(performance.now() - sent)
    if (code === 200) return Date.now()
    await sleep(POLL_EVERY_MS)
  }
  return undefined
}

interface Sample { lastMs: number, medianMs: number, missing: number }

async function fanOutOnce (nodes: NodeProc[], rtts: number[]): Promise<Sample> {
  const at = Date.now()
  const { id } = await nodes[0]!.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 0 })
  const seen = await Promise.all(nodes.map(async (node) => await pollUntilSeen(node, id, rtts)))
  const delays = seen.map((t) => (t === undefined ? GIVE_UP_MS : t - at))
  return { lastMs: Math.max(...delays), medianMs: percentile(delays, 0.5), missing: seen.filter((t) => t === undefined).length }
}

async function describeMesh (log: (line: string) => void, nodes: NodeProc[], meshed: boolean): Promise<void> {
  const views = await Promise.all(nodes.map(async (n) => await n.get<StatusView>('/v1/status')))
  const conns = views.map((s) => s.connected.length)
  const heard = views.map((s) => s.peers.length)
  const rss = await Promise.all(nodes.map(async (n) => await rssMb(n.pid).catch(() => 0)))
  log(`  connections per node: min ${Math.min(...conns)} max ${Math.max(...conns)}; RSS of all ${nodes.length} nodes ${rss.reduce((a, b) => a + b, 0).toFixed(0)} MiB`)
  if (!meshed) log(`  NOT MESHED: peers heard by presence per node: ${heard.join(',')}`)
}

/** What one fan-out run measured: submit -> last node per job (empty when presence never meshed). */
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
    log(`  polling: one loop per node, ${POLL_EVERY_MS} ms between polls, all ${nodes.length} concurrently; a node leaves once it answers 200`)
    const rtts: number[] = []
    const samples: Sample[] = []
    for (let i = 0; i < jobs; i++) {
      const start = performance.now()
      samples.push(await fanOutOnce(nodes, rtts))
      await sleep(start + SPACING_MS - performance.now())
    }
    const last = samples.map((s) => s.lastMs)
    const missing = samples.reduce((sum, s) => sum + s.missing, 0)
    log(`  submit -> last peer    ${spread(last)}`)
    log(`  submit -> median peer  ${spread(samples.map((s) => s.medianMs))}`)
    log(`  poll round trip        ${spread(rtts)} (upper bound of the error of each arrival time, plus ${POLL_EVERY_MS} ms)`)
    if (missing > 0) log(`  ${missing} (job, node) pairs never arrived within ${GIVE_UP_MS} ms (counted as ${GIVE_UP_MS} ms)`)
    return { last, meshed, nodes: nodes.length }
  } finally {
    await mesh.stop()
  }
}

/**
 * gossipsub's default peer score (no scoreParams in packages/p2p/src/node.ts) charges
 * -5 * (n - 10)^2 to each of the n peers it sees on one IP when n > 10, and graylists (ignores every
 * RPC of) peers below -80. On loopback every peer is 127.0.0.1, so from 16 nodes (n = 15) on the
 * gossip mesh goes silent. 11 nodes (n = 10) is the largest mesh free of that penalty.
 */
const COLOCATION_FREE_PEERS = 11

export async function runB10 (log: (line: string) => void): Promise<Record<string, number | string>> {
  const full = await fanout(log, 20, 30, 20_000)
  if (full.meshed && full.nodes === 20) return { b10_fanout_20_peers_p99_ms: round(percentile(full.last, 0.99), 0) }
  const why = full.nodes < 20 ? `only ${full.nodes} of 20 nodes started` : 'presence never meshed: gossipsub graylists peers when 15 or more share one IP (all are 127.0.0.1 here)'
  log(`  20 peers not measurable: ${why}; measuring ${COLOCATION_FREE_PEERS} peers instead`)
  const small = await fanout(log, COLOCATION_FREE_PEERS, 30, 30_000)
  return {
    b10_20_peers: `not measured: ${why}`,
    ...(small.meshed ? { [`b10_fanout_${COLOCATION_FREE_PEERS}_peers_p99_ms`]: round(percentile(small.last, 0.99), 0) } : {})
  }
}
