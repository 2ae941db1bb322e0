import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ReadyInfo } from './daemon.ts'

// An installed release runs compiled modules: the bin beside them has the same extension, and
// there are no types to strip.
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const BIN = fileURLToPath(new URL(FROM_SOURCE ? '../bin/devq-node.ts' : '../bin/devq-node.js', import.meta.url))
const TS_CACHE = new URL('../bin/ts-cache.mjs', import.meta.url).href

/**
 * How a devq-node runs by default (also in the bin's shebang and the root `npm start` script): one
 * V8 helper thread instead of one per core and 2 MiB semi-spaces, and two glibc malloc arenas. An
 * idle node then holds about 112 MB instead of 132 MB (per-thread malloc arenas were most of the
 * difference), and V8 returns the startup garbage within seconds; a burst costs a few % more CPU.
 * `--optimize-for-size` is how V8 treats a browser's background tab: the heap grows in small steps
 * and full GCs compact it, so an idle node in a team of 20 holds about 110 MB instead of 124 and
 * spends 0.7% of a core instead of 1% (`npm run bench -- cli`); the JIT is unchanged.
 * `--import` of the stripped-TypeScript cache (bin/ts-cache.mjs) keeps Node's type stripper out
 * of memory, about 16 MB more, in the node and in its worker threads, which inherit the flag.
 */
export const DEVQ_NODE_FLAGS: readonly string[] = ['--v8-pool-size=1', '--max-semi-space-size=2', '--optimize-for-size', ...(FROM_SOURCE ? [`--import=${TS_CACHE}`] : [])]
export const DEVQ_NODE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' }

/** A devq-node child process that said it is ready. */
export interface LaunchedNode {
  readonly ready: ReadyInfo
  readonly proc: ChildProcess
  /** Resolves with the exit code or signal name. */
  readonly exited: Promise<number | string | null>
  /** The last few KiB the node wrote to stderr (its logs), for error messages. */
  stderrTail(): string
  /** Sends `signal` (default SIGTERM, a clean stop) unless it already exited, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>
}

export interface LaunchOptions {
  /** Its `--data-dir`; without one the node finds its directories itself (paths.ts: platform or systemd). */
  dataDir?: string
  /** More devq-node flags, after the launcher's own (a later flag wins). */
  args?: readonly string[]
  /**
   * Where the mesh listens: these multiaddrs, or `config` for what the node's config file,
   * environment (`DEVQ_LISTEN`) or defaults say, so that a desktop app's node can join the LAN.
   * Default 127.0.0.1 with a free port, which is what tests and benches want.
   */
  listen?: readonly string[] | 'config'
  /** The child's environment (default this process's), over DEVQ_NODE_ENV. */
  env?: NodeJS.ProcessEnv
  /** Flags for the Node runtime itself, before the script; default DEVQ_NODE_FLAGS. */
  nodeArgs?: readonly string[]
  /** Give up (and kill the child) when it is not ready within this many ms. */
  readyTimeoutMs?: number
}

/**
 * Starts devq-node as a child process on the same Node binary and waits for its
 * `{"event":"ready"}` line. For the desktop shell, tests and benches alike; the child is killed if
 * it does not get ready in time.
 */
export async function launchDevqNode (options: LaunchOptions): Promise<LaunchedNode> {
  const listen = options.listen ?? ['/ip4/127.0.0.1/tcp/0']
  const args = [
    ...(options.nodeArgs ?? DEVQ_NODE_FLAGS), BIN, ...(options.dataDir === undefined ? [] : ['--data-dir', options.dataDir]),
    ...(listen === 'config' ? [] : ['--listen', listen.join(',')]), '--api-port', '0', '--log-level', 'warn', ...(options.args ?? [])
  ]
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...DEVQ_NODE_ENV, ...(options.env ?? process.env) } })
  let stderr = ''
  proc.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-8_000) })
  const exited = new Promise<number | string | null>((resolve) => proc.on('exit', (code, signal) => { resolve(signal ?? code) }))
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
    return await exited
  }
  const timeoutMs = options.readyTimeoutMs ?? 60_000
  try {
    const ready = await new Promise<ReadyInfo>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`devq-node not ready after ${timeoutMs} ms: ${stderr}`)) }, timeoutMs)
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (!line.startsWith('{')) return
        try {
          const msg = JSON.parse(line) as Partial<ReadyInfo>
          if (msg.event === 'ready') { clearTimeout(timer); resolve(msg as ReadyInfo) }
        } catch { /* a log line that is not ours */ }
      })
      void exited.then((how) => { clearTimeout(timer); reject(new Error(`devq-node exited (${String(how)}) before it was ready: ${stderr}`)) })
    })
    return { ready, proc, exited, stderrTail: () => stderr, stop }
  } catch (err) {
    await stop('SIGKILL')
    throw err
  }
}
