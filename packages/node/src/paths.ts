/**
 * Where a node keeps what: the one module that knows DevQ's file layout.
 *
 * A node has four directories. Given a data dir (`--data-dir`, `DEVQ_DATA_DIR`, or the project's
 * `.devq/node` that `npm start` uses), all four are that one directory and the config file is
 * `config.yml` in it. Without one they follow the platform (env-paths: XDG on Linux), and under
 * systemd the directories the unit declares (`StateDirectory=` and friends, which systemd passes
 * as `$STATE_DIRECTORY` and so on; a colon-separated list counts by its first entry).
 */
import envPaths from 'env-paths'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/** The directories of one node. */
export interface NodeDirs {
  /** What must survive: identity, team, ledger, mirrors, artifacts, secrets (see DATA_ENTRIES). */
  dataDir: string
  /** What can be made again: incremental workspaces and per-attempt scratch dirs. */
  cacheDir: string
  /** Job logs (`logs/`). */
  stateDir: string
  /** `node.json` while the node runs. */
  runtimeDir: string
}

/** How a node's directories were chosen: one given directory, or the platform's split layout. */
export type LayoutKind = 'one-dir' | 'split'

/** A node's directories and its config file. */
export interface NodeLocation extends NodeDirs {
  /** The YAML config file (it need not exist). */
  configFile: string
  layout: LayoutKind
}

/** What the data dir holds, by entry. `peerKey` is written by @devq/p2p's loadOrCreatePeerKey. */
export const DATA_ENTRIES = {
  peerKey: 'peer.key',
  team: 'team.json',
  apiToken: 'api.token',
  ledger: 'ledger',
  mirrors: 'mirrors',
  artifacts: 'artifacts',
  repos: 'repos.json',
  secrets: 'secrets',
  runRecords: 'runs.jsonl',
  ownChain: 'own-chain',
  presenceStamps: 'presence-stamps.json'
} as const
export type DataEntry = keyof typeof DATA_ENTRIES

/** The path of one entry of the data dir. */
export const dataPath = (dataDir: string, entry: DataEntry): string => join(dataDir, DATA_ENTRIES[entry])
/** Where incremental workspaces go (one per repo and job). */
export const workspacesDir = (dirs: Pick<NodeDirs, 'cacheDir'>): string => join(dirs.cacheDir, 'workspaces')
/** Where per-attempt scratch dirs go (removed after each attempt). */
export const scratchDir = (dirs: Pick<NodeDirs, 'cacheDir'>): string => join(dirs.cacheDir, 'scratch')
/** Where the attempts' logs go. */
export const logsDir = (dirs: Pick<NodeDirs, 'stateDir'>): string => join(dirs.stateDir, 'logs')
/** The file a running node writes to say how to reach it. */
export const RUNTIME_FILE = 'node.json'
export const runtimeFile = (dirs: Pick<NodeDirs, 'runtimeDir'>): string => join(dirs.runtimeDir, RUNTIME_FILE)
/** The config file's name in its directory. */
export const CONFIG_FILE = 'config.yml'
/** The data dir `npm start` uses, relative to the project root; the CLI looks for it upwards. */
export const PROJECT_DATA_DIR = join('.devq', 'node')

/** The first entry of a systemd directory variable (`$STATE_DIRECTORY` may list several, `:`-separated). */
function systemdDir (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const first = env[name]?.split(':')[0]
  return first === undefined || first === '' ? undefined : first
}

/** The platform's directories for DevQ (no `-nodejs` suffix: `~/.local/share/devq` and so on). */
function platformDirs (): ReturnType<typeof envPaths> {
  return envPaths('devq', { suffix: '' })
}

/** Everything in one directory: how tests, `npm start` and any explicit `--data-dir` run. */
export function oneDirLocation (dataDir: string, configFile?: string): NodeLocation {
  return { dataDir, cacheDir: dataDir, stateDir: dataDir, runtimeDir: dataDir, configFile: configFile ?? join(dataDir, CONFIG_FILE), layout: 'one-dir' }
}

/**
 * The split layout: systemd's directories where the unit declares them (`$STATE_DIRECTORY` holds
 * data and logs, `$CACHE_DIRECTORY` the cache, `$RUNTIME_DIRECTORY` node.json,
 * `$CONFIGURATION_DIRECTORY` config.yml), else the platform's (data, cache, state for logs, config);
 * node.json goes beside the data when nothing else is declared.
 */
export function defaultLocation (env: NodeJS.ProcessEnv, configFile?: string): NodeLocation {
  const platform = platformDirs()
  const state = systemdDir(env, 'STATE_DIRECTORY')
  const dataDir = state ?? platform.data
  return {
    dataDir,
    cacheDir: systemdDir(env, 'CACHE_DIRECTORY') ?? platform.cache,
    stateDir: state ?? platform.log,
    runtimeDir: systemdDir(env, 'RUNTIME_DIRECTORY') ?? dataDir,
    configFile: configFile ?? join(systemdDir(env, 'CONFIGURATION_DIRECTORY') ?? platform.config, CONFIG_FILE),
    layout: 'split'
  }
}

/**
 * A node's location from an explicit data dir (flag or `DEVQ_DATA_DIR`, already chosen by the
 * caller) and an explicit config file (`--config` or `DEVQ_CONFIG`), relative paths taken from `cwd`.
 */
export function resolveLocation (given: { dataDir?: string | undefined, configFile?: string | undefined }, env: NodeJS.ProcessEnv, cwd: string): NodeLocation {
  const configFile = given.configFile === undefined ? undefined : resolve(cwd, given.configFile)
  return given.dataDir === undefined ? defaultLocation(env, configFile) : oneDirLocation(resolve(cwd, given.dataDir), configFile)
}

/** How the CLI found the node it talks to. */
export type FoundBy = 'flag' | 'env' | 'project' | 'default'

/** The nearest `.devq/node` holding a node.json at or above `cwd`, or undefined. */
export function findProjectNode (cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_DATA_DIR)
    if (existsSync(join(candidate, RUNTIME_FILE))) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * The node the CLI talks to, first match wins: `--data-dir`, then `DEVQ_DATA_DIR`, then a
 * project-local node (the nearest `.devq/node/node.json` at or above the working directory, so
 * `devq status` beside `npm start` finds it), then the default location.
 */
export function locateNode (flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): NodeLocation & { foundBy: FoundBy } {
  const configFile = nonEmpty(env.DEVQ_CONFIG)
  if (flag !== undefined) return { ...resolveLocation({ dataDir: flag, configFile }, env, cwd), foundBy: 'flag' }
  const fromEnv = nonEmpty(env.DEVQ_DATA_DIR)
  if (fromEnv !== undefined) return { ...resolveLocation({ dataDir: fromEnv, configFile }, env, cwd), foundBy: 'env' }
  const project = findProjectNode(cwd)
  if (project !== undefined) return { ...resolveLocation({ dataDir: project, configFile }, env, cwd), foundBy: 'project' }
  return { ...resolveLocation({ configFile }, env, cwd), foundBy: 'default' }
}

/** An environment value, or undefined when it is unset or empty (as the config treats them). */
export function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/** The distinct directories of a location, for making them and for hiding them from steps. */
export function distinctDirs (dirs: NodeDirs): string[] {
  return [...new Set([dirs.dataDir, dirs.cacheDir, dirs.stateDir, dirs.runtimeDir].map((d) => resolve(d)))]
}
