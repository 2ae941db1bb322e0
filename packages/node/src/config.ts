import { cpus, arch, platform, totalmem } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { Label, SANDBOX_LABEL, ShareMode } from '@devq/core'
import { ConfigError } from './errors.ts'

const Multiaddr = z.string().min(4).max(512).regex(/^\//, 'a multiaddr starts with /')
/** A Host header value the API may answer to: `name` or `name:port`, an IPv6 address in brackets. */
const ApiHost = z.string().max(256).regex(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/i, 'a host name or name:port')
  .transform((h) => h.toLowerCase())
/** A browser origin: scheme, host and port, nothing after. */
const ApiOrigin = z.string().max(256).regex(/^https?:\/\/[^/?#\s]+$/i, 'an origin such as https://dash.example:8443 (no path)')
  .transform((o) => o.toLowerCase())
/** Where the push webhook listens: `host:port`, an IPv6 address in brackets; port 0 picks one. */
const WebhookListen = z.string().max(300).regex(/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?):\d{1,5}$/i, 'host:port, such as 0.0.0.0:8471 or [::]:8471')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'a port up to 65535')

/** Labels DevQ sets itself start with this; none may be given in the config. */
const RESERVED_LABEL_PREFIX = 'devq:'

/** Everything a devq-node needs to start, after flags, environment and defaults are merged. */
export const NodeConfig = z.strictObject({
  /** Holds the peer key, the ledger, the team file and the API token. */
  dataDir: z.string().min(1),
  listen: z.array(Multiaddr).min(1).max(16),
  announce: z.array(Multiaddr).max(16),
  bootstrap: z.array(Multiaddr).max(64),
  mdns: z.boolean(),
  slots: z.number().int().min(0).max(256),
  /**
   * Labels this peer offers. `devq:` ones are DevQ's own, set from what the peer can do (see
   * SANDBOX_LABEL): claimed by hand, a peer without a sandbox would run `network: false` and
   * sensitive jobs unconfined.
   */
  labels: z.array(Label.refine((l) => !l.startsWith(RESERVED_LABEL_PREFIX), `labels starting with ${RESERVED_LABEL_PREFIX} are set by DevQ itself (${SANDBOX_LABEL} when steps can run in bubblewrap here)`)).max(32),
  shareMode: ShareMode,
  /** The control API listens on loopback only. */
  apiHost: z.enum(['127.0.0.1', '::1']),
  apiPort: z.number().int().min(0).max(65535),
  /** Host names besides loopback the API answers to (a reverse proxy's, say); anything else is refused (DNS rebinding). */
  apiAllowHosts: z.array(ApiHost).max(64),
  /** Browser origins besides the node's own dashboard that may call the API. */
  apiAllowOrigins: z.array(ApiOrigin).max(64),
  /**
   * The push webhook for a git forge (webhook.ts): off unless set. Its own listener, which may be a
   * LAN address since the forge calls it; it serves only `POST /hooks/push`.
   */
  webhookListen: WebhookListen.optional(),
  /** File (0600) holding the webhook's shared secret; required with `webhookListen`. */
  webhookSecretFile: z.string().min(1).max(4096).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /**
   * Lease (ms): a peer heard within it is live. A runner that hears no peer for three quarters of
   * it stops its steps; a silent runner loses its attempt after about a lease and a quarter. At
   * least 2 s, since heartbeats go out about once a second.
   */
  leaseMs: z.number().int().min(2000).max(600_000),
  /** Bubblewrap for steps: `auto` uses it when it works, `on` requires it, `off` never (then no sandboxed jobs). */
  sandbox: z.enum(['auto', 'on', 'off']),
  /** Bytes the incremental workspaces may keep together (MiB); least recently used go first. */
  workspaceBudgetMb: z.number().int().min(1).max(16 * 1024 * 1024),
  /** Bytes of artifacts this peer keeps (MiB); least recently used go first, never a branch's latest. */
  artifactBudgetMb: z.number().int().min(1).max(16 * 1024 * 1024),
  /** Cap on one attempt's stored log (MiB); past it one truncation marker, and the job goes on. */
  logCapMb: z.number().int().min(1).max(64 * 1024),
  /** Processes (and threads, in a cgroup) one step may have at once. */
  stepMaxProcesses: z.number().int().min(8).max(1_000_000),
  /** Memory one step may use (MiB). */
  stepMaxMemoryMb: z.number().int().min(16).max(16 * 1024 * 1024),
  /**
   * The fault routes of the control API (`/v1/test/...`), for tests and the chaos suite. Only the
   * `--test-hooks` flag (or code) turns them on, never the environment: an inherited variable must
   * not open them on a real node.
   */
  testHooks: z.boolean(),
  /**
   * Move the on-disk ledger aside at start and refill it from peers by sync: the way out of a
   * ledger that cannot be read back. A flag only, for one start: never a setting that sticks.
   */
  rebuildLedger: z.boolean(),
  /** Fault injection on incoming gossip, for tests and the chaos suite; all zero by default. */
  faults: z.strictObject({
    drop: z.number().min(0).max(1),
    duplicate: z.number().min(0).max(1),
    delayMs: z.number().int().min(0).max(60_000)
  }),
  /** A wall clock set off on purpose, for tests and the chaos suite; all zero by default (see clock.ts). */
  clockFault: z.strictObject({
    offsetMs: z.number().int().min(-10 * 365 * 86_400_000).max(10 * 365 * 86_400_000),
    stepMs: z.number().int().min(-10 * 365 * 86_400_000).max(10 * 365 * 86_400_000)
  })
})
export type NodeConfig = z.infer<typeof NodeConfig>

/** Raw settings as flags or environment give them: strings, or already-typed values from code. */
export type RawConfig = Partial<Record<keyof NodeConfig, unknown>>

/** Environment variables and the config key each one sets. */
export const envKeys: Record<string, keyof NodeConfig> = {
  DEVQ_DATA_DIR: 'dataDir',
  DEVQ_LISTEN: 'listen',
  DEVQ_ANNOUNCE: 'announce',
  DEVQ_BOOTSTRAP: 'bootstrap',
  DEVQ_MDNS: 'mdns',
  DEVQ_SLOTS: 'slots',
  DEVQ_LABELS: 'labels',
  DEVQ_SHARE_MODE: 'shareMode',
  DEVQ_API_PORT: 'apiPort',
  DEVQ_API_ALLOW_HOSTS: 'apiAllowHosts',
  DEVQ_API_ALLOW_ORIGINS: 'apiAllowOrigins',
  DEVQ_WEBHOOK_LISTEN: 'webhookListen',
  DEVQ_WEBHOOK_SECRET_FILE: 'webhookSecretFile',
  DEVQ_LOG_LEVEL: 'logLevel',
  DEVQ_LEASE_MS: 'leaseMs',
  DEVQ_SANDBOX: 'sandbox',
  DEVQ_WORKSPACE_BUDGET_MB: 'workspaceBudgetMb',
  DEVQ_ARTIFACT_BUDGET_MB: 'artifactBudgetMb',
  DEVQ_LOG_CAP_MB: 'logCapMb',
  DEVQ_STEP_MAX_PROCESSES: 'stepMaxProcesses',
  DEVQ_STEP_MAX_MEMORY_MB: 'stepMaxMemoryMb'
}

/** Defaults: a loopback-only node with data under `.devq/` of the working directory. */
export function defaultConfig (cwd: string): NodeConfig {
  return {
    dataDir: join(cwd, '.devq', 'node'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    announce: [],
    bootstrap: [],
    mdns: false,
    slots: Math.max(1, Math.floor(cpus().length / 2)),
    labels: [platform(), arch()],
    shareMode: 'dedicated',
    apiHost: '127.0.0.1',
    apiPort: 0,
    apiAllowHosts: [],
    apiAllowOrigins: [],
    logLevel: 'info',
    leaseMs: 10_000,
    sandbox: 'auto',
    workspaceBudgetMb: 20 * 1024,
    artifactBudgetMb: 10 * 1024,
    logCapMb: 64,
    stepMaxProcesses: 4096,
    stepMaxMemoryMb: Math.max(256, Math.min(16 * 1024, Math.floor(totalmem() / 2 / 1024 / 1024))),
    testHooks: false,
    rebuildLedger: false,
    faults: { drop: 0, duplicate: 0, delayMs: 0 },
    clockFault: { offsetMs: 0, stepMs: 0 }
  }
}

const lists = new Set<keyof NodeConfig>(['listen', 'announce', 'bootstrap', 'labels', 'apiAllowHosts', 'apiAllowOrigins'])
const numbers = new Set<keyof NodeConfig>(['slots', 'apiPort', 'leaseMs', 'workspaceBudgetMb', 'artifactBudgetMb', 'logCapMb', 'stepMaxProcesses', 'stepMaxMemoryMb'])

/** Turns a string from a flag or the environment into the type its key expects. */
function coerce (key: keyof NodeConfig, value: unknown): unknown {
  if (typeof value !== 'string') return value
  if (lists.has(key)) return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (numbers.has(key)) return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value
  if (key === 'mdns') return value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value
  return value
}

/**
 * Merges defaults, then environment (`DEVQ_*`), then flags; validates the result. Throws
 * ConfigError naming the source and the key of the first bad value.
 */
export function resolveConfig (flags: RawConfig, env: NodeJS.ProcessEnv, cwd: string): NodeConfig {
  const merged: Record<string, unknown> = { ...defaultConfig(cwd) }
  const sources: Record<string, string> = {}
  for (const [name, key] of Object.entries(envKeys)) {
    const value = env[name]
    if (value === undefined || value === '') continue
    merged[key] = coerce(key, value)
    sources[key] = `environment ${name}`
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue
    merged[key] = coerce(key as keyof NodeConfig, value)
    sources[key] = `flag --${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`
  }
  const parsed = NodeConfig.safeParse(merged)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const key = String(issue.path[0] ?? '')
  const source = sources[key] ?? 'defaults'
  throw new ConfigError(`${source}: ${issue.path.join('.')}: ${issue.message}`, { source, key, detail: issue.message })
}
