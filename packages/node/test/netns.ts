/**
 * Two Linux network namespaces joined by a veth pair: a tiny private LAN where multicast works,
 * for tests of LAN discovery (mDNS). Needs Linux, root (or CAP_SYS_ADMIN + CAP_NET_ADMIN) and iproute2.
 * Nodes run inside a namespace with `ip netns exec`; their control API listens on 127.0.0.1 of
 * that namespace, so the CLI and API calls run inside it too.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'

const BIN = fileURLToPath(new URL('../bin/devq-node.ts', import.meta.url))
const CLI = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))
const CLIENT = pathToFileURL(fileURLToPath(new URL('../src/client.ts', import.meta.url))).href

/**
 * The kernel refused to create a network namespace for lack of privilege (EPERM: not root, or no
 * CAP_SYS_ADMIN). The one reason a test of namespaces may skip; anything else is a failure.
 */
export class NetnsRefused extends Error {
  override readonly name = 'NetnsRefused'
  readonly code = 'EPERM'
}

/** What `ip` prints for EPERM (strerror). */
const EPERM_TEXT = /Operation not permitted/

export interface RunResult { code: number | null, signal: string | null, stdout: string, stderr: string, error?: Error }

/** Runs a command (no shell) and collects its output; never rejects. */
export async function run (cmd: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return await new Promise((resolve) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let error: Error | undefined
    proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    proc.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    const timer = setTimeout(() => { error = new Error(`${cmd} timed out after ${timeoutMs} ms`); proc.kill('SIGKILL') }, timeoutMs)
    proc.on('error', (err) => { error = err })
    proc.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ...(error === undefined ? {} : { error }) })
    })
  })
}

function describeFailure (what: string, r: RunResult): string {
  const why = r.error?.message ?? (r.stderr.trim() || `exit ${String(r.code ?? r.signal)}`)
  return `${what}: ${why}`
}

/** Runs `ip ...`; throws with ip's stderr on failure. */
async function ip (args: string[]): Promise<string> {
  const r = await run('ip', args)
  if (r.code !== 0) throw new Error(describeFailure(`ip ${args.join(' ')}`, r))
  return r.stdout
}

/** Kills every process still inside namespace `ns` (all of them were started by the test that owns it). */
async function killInside (ns: string): Promise<void> {
  const r = await run('ip', ['netns', 'pids', ns])
  for (const pid of r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number)) {
    try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

async function deleteNamespace (ns: string): Promise<void> {
  await killInside(ns)
  await run('ip', ['netns', 'del', ns])
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes namespaces `<prefix>-<pid>-a|b` left by an earlier run whose process has died (a killed test run cannot clean up). */
async function sweepStale (prefix: string): Promise<void> {
  const r = await run('ip', ['netns', 'list'])
  if (r.code !== 0) return
  const pattern = new RegExp(`^${prefix}-(\\d+)-[ab]$`)
  for (const name of r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '')) {
    const m = pattern.exec(name)
    if (m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]))) await deleteNamespace(name)
  }
}

/** Two namespaces, each with `lo` up and one end of a veth pair with an IPv4 address and a multicast route. */
export interface Lan {
  /** Namespace names, [a, b]. */
  ns: [string, string]
  /** IPv4 address of the veth end in each namespace. */
  addrs: [string, string]
  /** Kills whatever still runs in the namespaces and deletes them (the veth pair goes with them). Never throws. */
  destroy(): Promise<void>
}

/**
 * Creates the LAN as namespaces `<prefix>-<pid>-a` and `-b`. Throws NetnsRefused (after undoing
 * what it made) when creating a namespace is refused with EPERM; any other error (no iproute2, no
 * veth, a bad address) is thrown as it is, so a test that needs the LAN fails instead of skipping.
 */
export async function createLan (prefix = 'devq-mdns'): Promise<Lan> {
  await sweepStale(prefix)
  const ns: [string, string] = [`${prefix}-${process.pid}-a`, `${prefix}-${process.pid}-b`]
  const subnet = `10.231.${20 + (process.pid % 200)}`
  const addrs: [string, string] = [`${subnet}.1`, `${subnet}.2`]
  const made: string[] = []
  const destroy = async (): Promise<void> => {
    for (const name of made.splice(0)) await deleteNamespace(name)
  }
  try {
    for (const name of ns) {
      const r = await run('ip', ['netns', 'add', name])
      if (r.code !== 0 && EPERM_TEXT.test(r.stderr)) throw new NetnsRefused(describeFailure(`ip netns add ${name} (needs root or CAP_SYS_ADMIN)`, r))
      if (r.code !== 0) throw new Error(describeFailure(`ip netns add ${name} (needs iproute2 and a kernel with network namespaces)`, r))
      made.push(name)
    }
    // One command creates both ends, each directly in its namespace: nothing lands in the host's namespace.
    await ip(['-n', ns[0], 'link', 'add', 'dq0', 'type', 'veth', 'peer', 'name', 'dq1', 'netns', ns[1]])
    for (const [i, name] of ns.entries()) {
      const dev = `dq${i}`
      await ip(['-n', name, 'link', 'set', 'lo', 'up'])
      await ip(['-n', name, 'addr', 'add', `${addrs[i]!}/24`, 'dev', dev])
      await ip(['-n', name, 'link', 'set', dev, 'multicast', 'on'])
      await ip(['-n', name, 'link', 'set', dev, 'up'])
      // No default route in the namespace: without this, sending to 224.0.0.251 fails with ENETUNREACH.
      await ip(['-n', name, 'route', 'add', '224.0.0.0/4', 'dev', dev])
    }
  } catch (err) {
    await destroy()
    throw err
  }
  return { ns, addrs, destroy }
}

/** A devq-node running inside a namespace. */
export interface NsNode {
  ns: string
  dataDir: string
  peerId: string
  addresses: string[]
  proc: ChildProcess
  exited: Promise<number | string | null>
  /** The tail of its stderr (its log), for failure messages. */
  log(): string
  /** SIGKILLs its process group and waits. Never throws. */
  kill(): Promise<void>
}

/** Starts devq-node in `ns` (in its own process group) and waits for its ready line. */
export async function startNsNode (ns: string, dataDir: string, args: string[], timeoutMs = 30_000): Promise<NsNode> {
  // `ip netns exec` execs the command (no fork in non-batch mode), but kill the group to be sure.
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, '--data-dir', dataDir, '--api-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env }
  })
  let stderr = ''
  proc.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-20_000) })
  const exited = new Promise<number | string | null>((resolve) => {
    proc.on('exit', (code, signal) => { resolve(signal ?? code) })
    proc.on('error', () => { resolve(null) })
  })
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      try { process.kill(-proc.pid, 'SIGKILL') } catch { proc.kill('SIGKILL') }
    }
    await exited
  }
  const lines = createInterface({ input: proc.stdout! })
  let timer: NodeJS.Timeout | undefined
  try {
    const ready = await new Promise<{ peerId: string, addresses: string[] }>((resolve, reject) => {
      lines.on('line', (line) => {
        try {
          const msg = JSON.parse(line) as { event?: string }
          if (msg.event === 'ready') resolve(msg as { peerId: string, addresses: string[] })
        } catch { /* other output */ }
      })
      void exited.then((how) => { reject(new Error(`devq-node in ${ns} exited (${String(how)}) before it was ready: ${stderr}`)) })
      timer = setTimeout(() => { reject(new Error(`devq-node in ${ns} not ready after ${timeoutMs} ms: ${stderr}`)) }, timeoutMs)
    })
    return { ns, dataDir, peerId: ready.peerId, addresses: ready.addresses, proc, exited, log: () => stderr, kill }
  } catch (err) {
    await kill()
    throw err
  } finally {
    clearTimeout(timer)
  }
}

/** Runs the devq CLI inside `ns` and returns its stdout (throws with stderr on a non-zero exit). */
export async function nsCli (ns: string, args: string[]): Promise<string> {
  const r = await run('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args])
  if (r.code !== 0) throw new Error(describeFailure(`devq ${args.join(' ')} in ${ns}`, r))
  return r.stdout
}

/** GETs `path` from the control API of the node on `dataDir` in `ns`, with the API client of src/client.ts. */
export async function nsApiGet<T = unknown> (ns: string, dataDir: string, path: string): Promise<T> {
  const script = `const { connectApi } = await import(${JSON.stringify(CLIENT)})
const [dir, path] = process.argv.slice(1)
process.stdout.write(JSON.stringify(await (await connectApi(dir)).get(path)))`
  const r = await run('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script, dataDir, path])
  if (r.code !== 0) throw new Error(describeFailure(`GET ${path} in ${ns}`, r))
  return JSON.parse(r.stdout) as T
}
