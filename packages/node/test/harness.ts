/** Starts real devq-node processes for tests and talks to their control APIs. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchDevqNode } from '../src/index.ts'

const CLI = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))

export interface NodeProc {
  peerId: string
  api: string
  addresses: string[]
  dataDir: string
  proc: ChildProcess
  /** Resolves with the exit code or signal. */
  exited: Promise<number | string | null>
  /** The last few KiB of its log (stderr). */
  log(): string
  get<T = unknown>(path: string): Promise<T>
  post<T = unknown>(path: string, body?: unknown): Promise<T>
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>
  /** SIGKILL and wait. */
  kill(): Promise<void>
}

export async function tempDataDir (name: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `devq-${name}-`))
}

export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** Calls to a node's control API with the token from its data dir; an error answer throws `METHOD path: status body`. */
export async function apiCalls (api: string, dataDir: string): Promise<Pick<NodeProc, 'get' | 'post'>> {
  const token = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim()
  async function call<T> (method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(api + path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const json = await res.json() as T
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }
  return {
    get: async (path) => await call('GET', path),
    post: async (path, body) => await call('POST', path, body ?? {})
  }
}

/** Spawns devq-node with `args` on `dataDir` and waits for its ready line (`--test-hooks` for the fault routes). */
export async function startNode (dataDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<NodeProc> {
  // Every test node checks its routes and answers against the API's route table (api-check.ts).
  const node = await launchDevqNode({ dataDir, args, env: { DEVQ_API_CHECK: '1', ...process.env, ...env } })
  const { ready } = node
  return {
    peerId: ready.peerId,
    api: ready.api,
    addresses: ready.addresses,
    dataDir,
    proc: node.proc,
    exited: node.exited,
    log: node.stderrTail,
    ...await apiCalls(ready.api, dataDir),
    async stop () { await node.stop('SIGTERM') },
    async kill () { await node.stop('SIGKILL') }
  }
}

/** Where and how the CLI runs: its working directory and its whole environment (default this process's). */
export interface CliOptions { cwd?: string, env?: NodeJS.ProcessEnv }

/** Runs the devq CLI (with `input` on its stdin) and returns its exit code, stdout and stderr. */
export async function cliResult (args: string[], input?: string, options: CliOptions = {}): Promise<{ code: number | null, out: string, err: string }> {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd, env: options.env ?? process.env })
  proc.stdin.end(input)
  let out = ''
  let err = ''
  proc.stdout.on('data', (c: Buffer) => { out += c.toString() })
  proc.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve))
  return { code, out, err }
}

/** Runs the devq CLI (with `input` on its stdin) and returns its stdout (throws with stderr on a non-zero exit). */
export async function cli (args: string[], input?: string, options: CliOptions = {}): Promise<string> {
  const { code, out, err } = await cliResult(args, input, options)
  if (code !== 0) throw new Error(`devq ${args.join(' ')} exited ${String(code)}: ${err}`)
  return out
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T> (what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = performance.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** Starts the admin of a new strict team in a temp data dir; the caller stops it and removes `dir`. */
export async function startStrictAdmin (args: string[] = ['--slots', '1']): Promise<{ admin: NodeProc, dir: string, token: string }> {
  const dir = await tempDataDir('admin')
  await cli(['team', 'init', '--mode', 'strict', '--data-dir', dir])
  const admin = await startNode(dir, args)
  const token = (await cli(['team', 'token', '--data-dir', dir])).trim()
  return { admin, dir, token }
}

/** A running team of nodes in temp data dirs; `stop` ends them all and removes the dirs. */
export interface Cluster {
  nodes: NodeProc[]
  dirs: string[]
  /** Starts one more member (or restarts one on an existing data dir), with `env` on top of this process's. */
  add(args?: string[], dataDir?: string, env?: Record<string, string>): Promise<NodeProc>
  stop(): Promise<void>
}

/**
 * Starts `n` nodes: the first creates the team, the others join with its token via the CLI (on
 * stdin). `clusterEnv` goes to every node, over this process's environment.
 */
export async function startCluster (n: number, args: (i: number) => string[] = () => [], clusterEnv: Record<string, string> = {}): Promise<Cluster> {
  const dirs: string[] = []
  const nodes: NodeProc[] = []
  const firstDir = await tempDataDir('n0')
  dirs.push(firstDir)
  nodes.push(await startNode(firstDir, args(0), clusterEnv))
  const token = (await cli(['team', 'token', '--data-dir', firstDir])).trim()
  async function add (extra: string[] = [], dataDir?: string, env: Record<string, string> = {}): Promise<NodeProc> {
    let dir = dataDir
    if (dir === undefined) {
      dir = await tempDataDir(`n${dirs.length}`)
      dirs.push(dir)
      await cli(['team', 'join', '-', '--data-dir', dir], token)
    }
    const node = await startNode(dir, extra, { ...clusterEnv, ...env })
    nodes.push(node)
    return node
  }
  await Promise.all(Array.from({ length: n - 1 }, async (_, i) => await add(args(i + 1))))
  return {
    nodes,
    dirs,
    add,
    async stop () {
      await Promise.all(nodes.map(async (node) => { await node.kill() }))
      await Promise.all(dirs.map(removeDir))
    }
  }
}

export interface StatusView {
  peer: { id: string, status: string, freeSlots: number, running: string[] }
  peers: { id: string }[]
  connected: string[]
  counts: Record<string, number>
  ledger: { size: number, stateHash: string, versionVector: Record<string, number>, stats: { rejected: Record<string, number> } }
}

export interface JobView {
  id: string
  status: string
  origin: string
  attempt: number
  attempts: { n: number, runner: string, awardedBy: string, outcome?: string, failure?: string, awardedAt: number }[]
  result?: { status: string, by: string, attempt: number }
}

/** Waits until every node hears every other node's presence. */
export async function waitMeshed (nodes: NodeProc[], timeoutMs = 60_000): Promise<void> {
  await waitFor('all nodes to hear each other', async () => {
    for (const node of nodes) {
      const s = await node.get<StatusView>('/v1/status')
      if (s.peers.length < nodes.length - 1) return false
    }
    return true
  }, timeoutMs)
}

/** Waits until every node has every job in a terminal status and all state hashes agree. */
export async function waitSettled (nodes: NodeProc[], ids: string[], timeoutMs = 120_000): Promise<string> {
  const terminal = new Set(['succeeded', 'failed', 'cancelled', 'superseded', 'cached', 'skipped'])
  return await waitFor(`${ids.length} jobs to settle on ${nodes.length} nodes`, async () => {
    const hashes = new Set<string>()
    for (const node of nodes) {
      const jobs = await node.get<JobView[]>('/v1/jobs?limit=10000')
      const byId = new Map(jobs.map((j) => [j.id, j]))
      if (!ids.every((id) => terminal.has(byId.get(id)?.status ?? ''))) return false
      hashes.add((await node.get<StatusView>('/v1/status')).ledger.stateHash)
    }
    return hashes.size === 1 ? [...hashes][0] : false
  }, timeoutMs, 500)
}
