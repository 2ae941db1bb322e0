import { cpus, arch, platform, totalmem } from 'node:os'
import { z } from 'zod'
import { Label, SANDBOX_LABEL, ShareMode } from '@devq/core'
import { loadConfigFile, type ConfigFile } from './config-file.ts'
import { applySettingsRules, flagOf, invalidSetting, type SettingSource } from './config-source.ts'
import { nonEmpty, resolveLocation, type NodeDirs, type NodeLocation } from './paths.ts'

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
  /** Holds the peer key, the ledger, the team file and the API token (see paths.ts for the layout). */
  dataDir: z.string().min(1),
  /** Workspaces and scratch dirs; the data dir unless the platform's split layout applies (paths.ts). */
  cacheDir: z.string().min(1),
  /** Job logs; as cacheDir. */
  stateDir: z.string().min(1),
  /** node.json while the node runs; as cacheDir. */
  runtimeDir: z.string().min(1),
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
  /** Seconds without input after which the user of an `idle` or `shared` peer counts as away. */
  idleAfterS: z.number().int().min(1).max(86_400),
  /** The 1-minute load average per core at or above which a headless machine counts as in use. */
  idleLoad: z.number().min(0.01).max(64),
  /** The control API listens on loopback only. */
  apiHost: z.enum(['127.0.0.1', '::1']),
  apiPort: z.number().int().min(0).max(65535),
  /** Host names besides loopback the API answers to (a reverse proxy's, say); anything else is refused (DNS rebinding). */
  apiAllowHosts: z.array(ApiHost).max(64),
  /** Browser origins besides the node's own dashboard that may call the API. */
  apiAllowOrigins: z.array(ApiOrigin).max(64),
  /** The built web dashboard the API serves at `/` (api-dashboard.ts); unset: apps/desktop/dist/renderer of the tree the node runs from. */
  dashboardDir: z.string().min(1).max(4096).optional(),
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
   * least 2 s, since heartbeats go out every quarter lease but at most once a second.
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
  DEVQ_IDLE_AFTER_S: 'idleAfterS',
  DEVQ_IDLE_LOAD: 'idleLoad',
  DEVQ_API_PORT: 'apiPort',
  DEVQ_API_ALLOW_HOSTS: 'apiAllowHosts',
  DEVQ_API_ALLOW_ORIGINS: 'apiAllowOrigins',
  DEVQ_DASHBOARD_DIR: 'dashboardDir',
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

export type { SettingSource } from './config-source.ts'

/** The environment variable that sets `key`, if one does. */
export const envNameOf = (key: string): string | undefined => Object.entries(envKeys).find(([, k]) => k === key)?.[0]

/**
 * Keys only flags or code set: test switches and one-start actions. The config file never sets
 * them, so a forgotten line cannot open fault routes or rebuild a ledger at every start.
 */
export const TEST_ONLY_KEYS: ReadonlySet<keyof NodeConfig> = new Set(['testHooks', 'rebuildLedger', 'faults', 'clockFault'])

/** Keys chosen by how a node is started (flag, environment, systemd; see paths.ts), never by its config file. */
export const LOCATION_KEYS: ReadonlySet<keyof NodeConfig> = new Set(['dataDir', 'cacheDir', 'stateDir', 'runtimeDir'])

/** Keys the config file may set: every NodeConfig key but the test-only and location ones. */
export const FILE_KEYS: readonly (keyof NodeConfig)[] = (Object.keys(NodeConfig.shape) as (keyof NodeConfig)[])
  .filter((k) => !TEST_ONLY_KEYS.has(k) && !LOCATION_KEYS.has(k))

/** Defaults: a loopback-only node in `dirs`. */
export function defaultConfig (dirs: NodeDirs): NodeConfig {
  return {
    dataDir: dirs.dataDir,
    cacheDir: dirs.cacheDir,
    stateDir: dirs.stateDir,
    runtimeDir: dirs.runtimeDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    announce: [],
    bootstrap: [],
    mdns: false,
    slots: Math.max(1, Math.floor(cpus().length / 2)),
    labels: [platform(), arch()],
    shareMode: 'dedicated',
    idleAfterS: 300,
    idleLoad: 0.3,
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

/** How a string from a flag, the environment or `devq config set` is read for `key`, from its schema. */
function kindOf (key: keyof NodeConfig): 'list' | 'number' | 'boolean' | 'text' {
  const field: unknown = NodeConfig.shape[key]
  if (field instanceof z.ZodArray) return 'list'
  if (field instanceof z.ZodNumber) return 'number'
  if (field instanceof z.ZodBoolean) return 'boolean'
  return 'text'
}

/** Turns a string from a flag, the environment or `devq config set` into the type its key expects. */
export function coerce (key: keyof NodeConfig, value: unknown): unknown {
  if (typeof value !== 'string') return value
  const kind = kindOf(key)
  if (kind === 'list') return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  // `2000.0` and `2e3` are 2000; the schema says when a whole number is needed.
  if (kind === 'number') return /^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(value.trim()) ? Number(value.trim()) : value
  if (kind === 'boolean') return value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value
  return value
}

/** A resolved config with where each value came from, the node's location and its config file. */
export interface ResolvedConfig {
  config: NodeConfig
  sources: Record<keyof NodeConfig, SettingSource>
  location: NodeLocation
  file: ConfigFile
  /** Settings that work together but not as their user may think (config-rules.ts), each naming where it was set. */
  warnings: string[]
}

/** How resolveSettings finds the node's location and config file. */
export interface ResolveOptions {
  /** `--config FILE`: wins over `DEVQ_CONFIG` and the location's own config file. */
  configFile?: string | undefined
  /** The file a running node of this location read (node.json says), when neither of the above names one. */
  runningConfigFile?: string | undefined
  /**
   * The caller's own defaults, below the file, the environment and flags (`npm start` gives its
   * `.devq/node` and a quieter log level); a `dataDir` here is a data dir given explicitly.
   */
  defaults?: RawConfig
  /** The config file already read and checked (`devq config set` checks a file before writing it), instead of reading it. */
  file?: ConfigFile
}

/** Why the config file may not set a schema key, or undefined when it may. */
export function refusedInFile (key: string): string | undefined {
  if (TEST_ONLY_KEYS.has(key as keyof NodeConfig)) return 'it is for tests and one-off starts, set by its flag only'
  if (LOCATION_KEYS.has(key as keyof NodeConfig)) return 'where a node keeps its files comes from --data-dir, DEVQ_DATA_DIR or the systemd unit'
  return undefined
}

/** The rules the config file is checked by. */
export const fileRules = { schema: NodeConfig, keys: FILE_KEYS, refused: refusedInFile }

/**
 * The node's location (paths.ts) from the data-dir flag, DEVQ_DATA_DIR or the caller's default,
 * and where each of its directories came from.
 */
export function resolveNodeLocation (flags: RawConfig, env: NodeJS.ProcessEnv, cwd: string, options: ResolveOptions = {}): NodeLocation & { sources: Partial<Record<keyof NodeDirs, SettingSource>> } {
  const configFile = options.configFile ?? nonEmpty(env.DEVQ_CONFIG) ?? options.runningConfigFile
  const flag = typeof flags.dataDir === 'string' ? flags.dataDir : undefined
  const fromEnv = nonEmpty(env.DEVQ_DATA_DIR)
  const byCaller = typeof options.defaults?.dataDir === 'string' ? options.defaults.dataDir : undefined
  const source: SettingSource | undefined = flag !== undefined ? { kind: 'flag', from: '--data-dir' } : fromEnv !== undefined ? { kind: 'env', from: 'DEVQ_DATA_DIR' } : byCaller !== undefined ? { kind: 'default' } : undefined
  const location = resolveLocation({ dataDir: flag ?? fromEnv ?? byCaller, configFile }, env, cwd)
  if (source !== undefined) return { ...location, sources: { dataDir: source, cacheDir: source, stateDir: source, runtimeDir: source } }
  const systemd = { dataDir: 'STATE_DIRECTORY', cacheDir: 'CACHE_DIRECTORY', stateDir: 'STATE_DIRECTORY', runtimeDir: 'RUNTIME_DIRECTORY' } as const
  const sources: Partial<Record<keyof NodeDirs, SettingSource>> = {}
  for (const [key, name] of Object.entries(systemd) as [keyof NodeDirs, string][]) if (nonEmpty(env[name]) !== undefined) sources[key] = { kind: 'env', from: name }
  return { ...location, sources }
}

/**
 * Merges defaults, then the config file, then environment (`DEVQ_*`), then flags; validates the
 * result. Throws ConfigError naming the source (the file's `path:line:col`, the variable or the
 * flag) and the key of the first bad value.
 */
export function resolveSettings (flags: RawConfig, env: NodeJS.ProcessEnv, cwd: string, options: ResolveOptions = {}): ResolvedConfig {
  const location = resolveNodeLocation(flags, env, cwd, options)
  const explicitFile = options.configFile !== undefined || nonEmpty(env.DEVQ_CONFIG) !== undefined
  const file = options.file ?? loadConfigFile(location.configFile, explicitFile, fileRules)
  const merged: Record<string, unknown> = { ...defaultConfig(location) }
  for (const [key, value] of Object.entries(options.defaults ?? {})) if (value !== undefined && !LOCATION_KEYS.has(key as keyof NodeConfig)) merged[key] = coerce(key as keyof NodeConfig, value)
  const sources = Object.fromEntries(Object.keys(merged).map((k) => [k, { kind: 'default' }])) as Record<keyof NodeConfig, SettingSource>
  Object.assign(sources, location.sources)
  for (const [key, value] of Object.entries(file.values)) {
    merged[key] = value
    sources[key as keyof NodeConfig] = { kind: 'file', from: file.where([key]) }
  }
  for (const [name, key] of Object.entries(envKeys)) {
    const value = env[name]
    if (value === undefined || value === '' || LOCATION_KEYS.has(key)) continue
    merged[key] = coerce(key, value)
    sources[key] = { kind: 'env', from: name }
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined || LOCATION_KEYS.has(key as keyof NodeConfig)) continue
    merged[key] = coerce(key as keyof NodeConfig, value)
    sources[key as keyof NodeConfig] = { kind: 'flag', from: flagOf([key]) }
  }
  const parsed = NodeConfig.safeParse(merged)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const key = String(issue.path[0] ?? '') as keyof NodeConfig
    throw invalidSetting(issue, NodeConfig.shape[key], merged[key], sources, file)
  }
  const warnings = applySettingsRules(parsed.data, sources, file, envNameOf)
  return { config: parsed.data, sources, location, file, warnings }
}

/**
 * The cross-setting rules (config-rules.ts) applied to a config made in code, whose sources are
 * unknown (resolveSettings applies them, placed, to the ones it merges): throws ConfigError for a
 * broken one, returns the warnings.
 */
export function checkSettingsTogether (config: NodeConfig): string[] {
  return applySettingsRules(config, {}, { path: 'config', exists: false, values: {}, where: () => 'config' }, envNameOf)
}

/** The config a node starts with (see resolveSettings). */
export function resolveConfig (flags: RawConfig, env: NodeJS.ProcessEnv, cwd: string, options: ResolveOptions = {}): NodeConfig {
  return resolveSettings(flags, env, cwd, options).config
}
