/**
 * Idle cost of a node in a team: 20 devq-node processes (each its own process, default flags and
 * slots) join one team; once every node hears every other one and all ledgers are equal, and after
 * a warm-up, CPU and memory are read over a 20 s window with nobody polling the nodes.
 *
 * - `idle_team_cpu_pct`: CPU time (user + system, all threads, from /proc/<pid>/stat, so other load
 *   on the machine does not count) over the window, in % of one core, averaged over the nodes.
 * - `idle_team_rss_mb`: VmRSS (MiB) at the end of the window, the median over the nodes (the
 *   mean and the largest are logged, as is RssAnon, the part no other process shares).
 *
 * `--idle-team-size N` measures a team of N instead of 20.
 *
 * VmRSS counts the pages of the Node binary each process has mapped (40-80 MB of it, shared by
 * all). How many depends on how the binary sits in the page cache: after a sequential read of
 * the file (a copy, a tarball), the kernel maps it in large folios and each process shows some
 * 20-30 MB more. The suite first drops the binary's clean pages from the cache (`dd iflag=nocache`),
 * so the figure is the same run to run. The kernel drops only pages no process maps, and the bench
 * itself runs on that binary: `npm run bench` drops them before it starts Node, and this file
 * tries again for a bench started on another binary.
 */
import { execa } from 'execa'
import { startMesh, waitFor, waitMeshed, type NodeProc } from './mesh-proc.ts'
import { cpuMs, percentile, round, rssMb, sleep } from './mesh-stats.ts'

const DEFAULT_TEAM = 20
const WINDOW_MS = 20_000
/**
 * Startup work is not idle cost: module loading and JIT, and V8's memory reducer, which runs two
 * mark-compact GCs about 8-9 s after start. The window starts this long after the last node started.
 */
const WARMUP_MS = 15_000
const SETTLE_TIMEOUT_MS = 120_000

function teamSize (): number {
  const i = process.argv.indexOf('--idle-team-size')
  const n = i < 0 ? DEFAULT_TEAM : Number(process.argv[i + 1])
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--idle-team-size must be 1-64, not ${process.argv[i + 1]}`)
  return n
}

interface LedgerView { ledger: { stateHash: string, versionVector: Record<string, number> } }

/** Waits until every node holds the same ledger (same version vector and state hash). */
async function waitLedgersEqual (nodes: NodeProc[], timeoutMs: number): Promise<void> {
  await waitFor('all ledgers to be equal', async () => {
    const views = await Promise.all(nodes.map(async (n) => await n.get<LedgerView>('/v1/status')))
    const key = (v: LedgerView): string => `${v.ledger.stateHash} ${JSON.stringify(Object.entries(v.ledger.versionVector).sort())}`
    return views.every((v) => key(v) === key(views[0]!))
  }, timeoutMs, 500)
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

/** CPU (% of one core) of each node over one window, read from CPU time, not wall time. */
async function cpuOverWindow (nodes: NodeProc[], windowMs: number): Promise<number[]> {
  const before = await Promise.all(nodes.map(async (n) => await cpuMs(n.pid)))
  const t0 = performance.now()
  await sleep(windowMs)
  const after = await Promise.all(nodes.map(async (n) => await cpuMs(n.pid)))
  const wall = performance.now() - t0
  return after.map((a, i) => (100 * (a - before[i]!)) / wall)
}

/** Figures `idle_team_cpu_pct` and `idle_team_rss_mb` (see the file's comment). */
export async function measureIdleTeam (log: (line: string) => void): Promise<Record<string, number>> {
  const n = teamSize()
  log(`idle team: ${n} nodes in one team, settle, ${WARMUP_MS / 1000} s warm-up, then a ${WINDOW_MS / 1000} s window`)
  await execa('dd', [`if=${process.execPath}`, 'iflag=nocache', 'count=0'], { reject: false })
  const t0 = performance.now()
  const mesh = await startMesh(n, [])
  try {
    const { nodes } = mesh
    if (nodes.length < n) throw new Error(`only ${nodes.length} of ${n} nodes started: ${mesh.failures.join('; ')}`)
    const started = performance.now()
    log(`  started ${n} nodes in ${((started - t0) / 1000).toFixed(1)} s`)
    const meshedMs = await waitMeshed(nodes, SETTLE_TIMEOUT_MS)
    await waitLedgersEqual(nodes, SETTLE_TIMEOUT_MS)
    log(`  every node hears ${n - 1} others after ${(meshedMs / 1000).toFixed(1)} s; ledgers equal after ${((performance.now() - started) / 1000).toFixed(1)} s`)
    await sleep(started + WARMUP_MS - performance.now())
    const cpu = await cpuOverWindow(nodes, WINDOW_MS)
    const rss = await Promise.all(nodes.map(async (node) => await rssMb(node.pid)))
    const anon = await Promise.all(nodes.map(async (node) => await rssMb(node.pid, 'RssAnon')))
    log(`  CPU per node: mean ${mean(cpu).toFixed(2)}%, min ${Math.min(...cpu).toFixed(2)}%, max ${Math.max(...cpu).toFixed(2)}% of a core`)
    log(`  VmRSS per node: median ${percentile(rss, 0.5).toFixed(1)}, mean ${mean(rss).toFixed(1)}, max ${Math.max(...rss).toFixed(1)} MiB; RssAnon median ${percentile(anon, 0.5).toFixed(1)} MiB`)
    return {
      idle_team_size: n,
      idle_team_cpu_pct: round(mean(cpu), 2),
      idle_team_cpu_max_pct: round(Math.max(...cpu), 2),
      idle_team_rss_mb: round(percentile(rss, 0.5), 1),
      idle_team_rss_anon_mb: round(percentile(anon, 0.5), 1)
    }
  } finally {
    await mesh.stop()
  }
}
