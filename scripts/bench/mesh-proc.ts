/**
 * Starts real devq-node processes on loopback for the `mesh` suite and talks to their control APIs.
 * Processes come from the node package's launcher, API calls and polling from its test harness;
 * this adds a guard that SIGKILLs every child still alive and removes the temp dirs when the bench
 * exits, also on SIGINT, SIGTERM or SIGHUP. `BENCH_NODE_ARGS` replaces the Node flags of every node (the
 * launcher's DEVQ_NODE_FLAGS by default), e.g. to add `--perf-basic-prof` for perf.
 */
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchDevqNode, readRuntime, readTeam, writeTeam } from '../../packages/node/src/index.ts'
import { apiCalls, waitFor } from '../../packages/node/test/harness.ts'

export { waitFor }

/** A node that is not ready by then is counted as not fitting on this machine. */
const READY_TIMEOUT_MS = 60_000

/** Children not yet known to have exited, and temp dirs not yet removed: the exit guard ends both. */
const alive = new Set<ChildProcess>()
const dirs = new Set<string>()
let guarded = false
function guardExit (): void {
  if (guarded) return
  guarded = true
  const killAll = (): void => {
    for (const child of alive) child.kill('SIGKILL')
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', killAll)
  // A signal ends node without 'exit' unless handled; the children must not outlive the bench.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => { killAll(); process.exit(code) })
  }
}

export interface NodeProc {
  peerId: string
  api: string
  addresses: string[]
  dataDir: string
  pid: number
  get<T = unknown>(path: string): Promise<T>
  post<T = unknown>(path: string, body?: unknown): Promise<T>
  /** SIGKILL and wait for the exit: the data dirs are thrown away, so no clean drain is needed. */
  kill(): Promise<void>
}

/** A fresh temp dir, removed by `removeDir` or, if the bench dies first, by the exit guard. */
export async function tempDir (name: string): Promise<string> {
  guardExit()
  const dir = await mkdtemp(join(tmpdir(), `devq-bench-${name}-`))
  dirs.add(dir)
  return dir
}

export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

/** Spawns devq-node on `dataDir` with `args` and waits for its ready line and API token. */
export async function startNode (dataDir: string, args: string[]): Promise<NodeProc> {
  guardExit()
  // DEVQ_* variables of the caller's shell would silently change the configuration under test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DEVQ_')))
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '')
  const node = await launchDevqNode({ dataDir, args, env, ...(nodeArgs === undefined ? {} : { nodeArgs }), readyTimeoutMs: READY_TIMEOUT_MS })
  const { proc, ready } = node
  alive.add(proc)
  void node.exited.then(() => { alive.delete(proc) })
  return {
    ...ready,
    dataDir,
    pid: proc.pid!,
    ...await apiCalls(ready.api, dataDir),
    kill: async () => { await node.stop('SIGKILL') }
  }
}

/** A team of nodes in temp dirs. `stop` kills them all and removes the dirs; it never throws. */
export interface Mesh {
  nodes: NodeProc[]
  /** Nodes that did not start (e.g. too many for this machine), with the reason. */
  failures: string[]
  stop(): Promise<void>
}

/**
 * Starts `n` nodes: the first creates the team; each other one gets the team file `devq team join`
 * would write from the token `devq team token` prints (team key and the first node's addresses).
 * Nodes start `batch` at a time because startup is CPU-bound and 2 cores are shared.
 */
export async function startMesh (n: number, args: string[], batch = 4): Promise<Mesh> {
  const made: string[] = []
  const nodes: NodeProc[] = []
  const failures: string[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(async (node) => { await node.kill() }))
    await Promise.all(made.map(removeDir))
  }
  try {
    const first = await tempDir('n0')
    made.push(first)
    nodes.push(await startNode(first, args))
    const team = await readTeam(first)
    const addrs = (await readRuntime(first))?.addresses ?? []
    if (team === undefined || addrs.length === 0) throw new Error(`the first node wrote no team file or runtime addresses in ${first}`)
    for (let i = 1; i < n; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, n - i) }, async (_, k) => {
        const dir = await tempDir(`n${i + k}`)
        made.push(dir)
        await writeTeam(dir, { ...team, bootstrap: addrs })
        try {
          nodes.push(await startNode(dir, args))
        } catch (err) {
          failures.push((err as Error).message.slice(0, 300))
        }
      }))
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { nodes, failures, stop }
}

interface StatusPeers { peers: unknown[], connected: unknown[] }

/** Waits until every node hears every other node's presence; returns how long it took (ms). */
export async function waitMeshed (nodes: NodeProc[], timeoutMs: number): Promise<number> {
  const t0 = performance.now()
  await waitFor('all nodes to hear each other', async () => {
    const views = await Promise.all(nodes.map(async (node) => await node.get<StatusPeers>('/v1/status')))
    return views.every((s) => s.peers.length >= nodes.length - 1)
  }, timeoutMs, 250)
  return performance.now() - t0
}
