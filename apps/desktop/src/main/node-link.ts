/**
 * How the desktop app reaches its devq-node: the one already running for the user's data dir when
 * there is one that answers (started by the CLI, systemd or an earlier app), else one it launches.
 */
import type { ApiClient, LaunchedNode, LaunchOptions, RuntimeInfo } from '@devq/node'
import type { Logger } from '@devq/core'
import type { DevqNodePackage } from './devq-node-package.ts'
import { NodeLinkError } from './errors.ts'

/** A node the app talks to. */
export interface NodeLink {
  /** Its control API (unix socket or TCP with the bearer token, as connectApi picks). */
  readonly api: ApiClient
  /** Its TCP API base URL (`http://127.0.0.1:port`), where the event stream's WebSocket goes. */
  readonly apiUrl: string
  readonly peerId: string
  /** Whether this link started the node (and so stops it on close). */
  readonly launched: boolean
  /** Stops the node if this link launched it; one found running stays up. Idempotent. */
  close(): Promise<void>
}

/** What the link needs: @devq/node as main loaded it (devq-node-package.ts), and a logger. */
export interface NodeLinkComponents {
  logger: Logger
  node: Pick<DevqNodePackage, 'readRuntime' | 'connectApi' | 'launchDevqNode'>
  /** Launches a node (default `node.launchDevqNode`; a test wraps it to count launches). */
  launch?: (options: LaunchOptions) => Promise<LaunchedNode>
}

export interface NodeLinkInit {
  /** Where the node keeps its runtime file and token (as the CLI finds it: paths.ts `locateNode`). */
  dataDir: string
  /**
   * Whether a launched node gets `--data-dir` (default true). Without it the node finds its own
   * directories (the platform's, as a node the CLI starts does), which must be `dataDir` too.
   */
  passDataDir?: boolean
  /** Where a launched node listens on the mesh (default its config: the LAN when configured so). */
  listen?: LaunchOptions['listen']
  /** The launched node's environment (in Electron: with ELECTRON_RUN_AS_NODE=1). */
  env?: NodeJS.ProcessEnv
  /** Flags for the launched node's runtime (default the launcher's). */
  nodeArgs?: readonly string[]
  readyTimeoutMs?: number
}

/** The API of the node running on `dataDir` when its runtime file names one and it answers, else undefined. */
interface Finder {
  logger: Logger
  readRuntime: (dataDir: string) => Promise<RuntimeInfo | undefined>
  connect: (dataDir: string) => Promise<ApiClient>
}

async function findRunning (c: Finder, dataDir: string): Promise<{ api: ApiClient, info: RuntimeInfo } | undefined> {
  const info = await c.readRuntime(dataDir)
  if (info === undefined) return undefined
  try {
    const api = await c.connect(dataDir)
    await api.get('/v1/views/status')
    return { api, info }
  } catch (err) {
    // A runtime file outlives a node that was killed: then this app starts a new one.
    c.logger.info({ err, dataDir, pid: info.pid }, 'the node the runtime file names does not answer')
    return undefined
  }
}

/**
 * Connects to the node of `init.dataDir`, launching one when none answers. Throws NodeLinkError
 * when the launch fails or the launched node does not answer. Call once per app start.
 */
export async function linkNode (components: NodeLinkComponents, init: NodeLinkInit): Promise<NodeLink> {
  const logger = components.logger.child({ component: 'node-link' })
  const c: Finder = { logger, readRuntime: components.node.readRuntime, connect: components.node.connectApi }
  const launch = components.launch ?? components.node.launchDevqNode
  const running = await findRunning(c, init.dataDir)
  if (running !== undefined) {
    logger.info({ api: running.info.api, pid: running.info.pid }, 'connected to the running node')
    return { api: running.api, apiUrl: running.info.api, peerId: running.info.peerId, launched: false, close: async () => {} }
  }
  let node: LaunchedNode
  try {
    node = await launch({
      ...(init.passDataDir === false ? {} : { dataDir: init.dataDir }),
      listen: init.listen ?? 'config',
      ...(init.env === undefined ? {} : { env: init.env }),
      ...(init.nodeArgs === undefined ? {} : { nodeArgs: init.nodeArgs }),
      ...(init.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: init.readyTimeoutMs })
    })
  } catch (err) {
    throw new NodeLinkError(`could not start devq-node on ${init.dataDir}: ${(err as Error).message}`, { dataDir: init.dataDir, detail: 'launch' }, { cause: err })
  }
  let api: ApiClient
  try {
    api = await c.connect(init.dataDir)
  } catch (err) {
    await node.stop()
    throw new NodeLinkError(`the devq-node started on ${init.dataDir} does not answer: ${(err as Error).message}`, { dataDir: init.dataDir, detail: 'connect' }, { cause: err })
  }
  logger.info({ api: node.ready.api, pid: node.proc.pid }, 'launched a node')
  let closing: Promise<void> | undefined
  return {
    api, apiUrl: node.ready.api, peerId: node.ready.peerId, launched: true,
    close: async () => { closing ??= node.stop().then(() => undefined); await closing }
  }
}
