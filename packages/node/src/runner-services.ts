/**
 * The runner side of a node: its mirrors, workspaces, logs and artifacts under the data dir, the
 * pipeline executor (synthetic jobs keep their own), and the direct-stream servers other peers
 * use: `git` (source), `artifacts`, `logs` and `secrets`.
 */
import { homedir } from 'node:os'
import {
  SANDBOX_LABEL, type AttemptReport, type ByteStream, type Clock, type Fold, type JobExecutor, type JobState, type LocalStatus, type Logger,
  type PresenceTable, type ResultAvailability
} from '@devq/core'
import type { Mesh } from '@devq/p2p'
import {
  ARTIFACTS_PROTOCOL, createArtifactServer, createArtifactStore, createLocalPair, createLogServer, createLogStore, createMirrors, createPipelineExecutor,
  createSecretServer, createSourceServer, createWorkspaces, detectContainment, detectSandbox, GIT_PROTOCOL, LOGS_PROTOCOL,
  type ArtifactStore, type LogStore, type Mirrors, type PipelineExecutor, type RunnerProtocol
} from '@devq/runner'
import type { NodeConfig } from './config.ts'
import { dataPath, distinctDirs, logsDir, scratchDir, workspacesDir } from './paths.ts'
import { createAccessIndex, type AccessIndex } from './access.ts'
import type { RepoRegistry } from './repos.ts'
import { secretsFor } from './secret-access.ts'
import { createResultAvailability } from './result-availability.ts'
import { recordRuns } from './run-records.ts'
import { createSyntheticExecutor } from './synthetic.ts'

const MIB = 1024 * 1024

/** The runner parts of a node and what the scheduler and API use of them. */
export interface RunnerServices {
  executor: JobExecutor
  /** Labels this peer adds to its own: `devq:sandbox` when steps can run in bubblewrap here. */
  labels: string[]
  /** Keys of the warm incremental workspaces and the activity of running attempts, for presence. */
  local(): Pick<LocalStatus, 'warmWorkspaces' | 'activity'>
  results: ResultAvailability
  access: AccessIndex
  mirrors: Mirrors
  logs: LogStore
  artifacts: ArtifactStore
  /** How steps are held together and sandboxed here, for status and logs. */
  describe(): { containment: string, sandbox: string }
  /** Requests from other peers the four servers refused for their framing, since start. */
  refusedFrames(): number
}

/** What creating the runner side takes. */
export interface RunnerDeps {
  config: NodeConfig
  fold: Fold
  peerId: string
  mesh: Mesh
  presence: PresenceTable
  repos: RepoRegistry
  clock: Clock
  logger: Logger
  /** Whether steps start at low CPU and IO priority (the machine is lent while someone uses it); read as each step starts. */
  lowPriority?: () => boolean
}

/** Other peers heard within a lease, for source and artifact fallbacks. */
function livePeers (d: RunnerDeps): () => string[] {
  return () => d.presence.live(d.clock.monotonicMs(), d.config.leaseMs).map((p) => p.peer).filter((p) => p !== d.peerId)
}

/** Other live peers that are not leaving (a draining peer is about to stop serving). */
function stayingPeers (d: RunnerDeps): () => string[] {
  return () => d.presence.live(d.clock.monotonicMs(), d.config.leaseMs).filter((p) => p.peer !== d.peerId && p.status !== 'draining').map((p) => p.peer)
}

type Handler = (stream: ByteStream, peer: string) => Promise<void>

/**
 * Opens a protocol stream to a peer; to this peer itself, an in-memory pair served by its own
 * handler, so a peer builds its own commits through the same code as anyone else's.
 */
function dialer (d: RunnerDeps, handlers: Map<string, Handler>): (peer: string, protocol: RunnerProtocol) => Promise<ByteStream> {
  return async (peer, protocol) => {
    const local = handlers.get(protocol)
    if (peer !== d.peerId || local === undefined) return await d.mesh.openStream(peer, protocol)
    const { client, server } = createLocalPair()
    void local(server, d.peerId).catch((err: unknown) => { server.abort(err as Error) })
    return client
  }
}

async function executorOf (d: RunnerDeps, parts: { mirrors: Mirrors, logs: LogStore, artifacts: ArtifactStore }, sandbox: PipelineExecutorSandbox, dial: (peer: string, protocol: RunnerProtocol) => Promise<ByteStream>): Promise<{ pipeline: PipelineExecutor, containment: string, warm: () => Promise<string[]> }> {
  const containment = await detectContainment()
  const workspaces = createWorkspaces({ root: workspacesDir(d.config), mirrors: parts.mirrors, budgetBytes: d.config.workspaceBudgetMb * MIB, logger: d.logger })
  const pipeline = createPipelineExecutor({
    ...parts,
    workspaces,
    containment,
    dial,
    view: d.fold,
    peers: livePeers(d),
    logger: d.logger.child({ component: 'runner' }),
    clock: d.clock
  }, {
    peerId: d.peerId,
    scratchDir: scratchDir(d.config),
    sandbox,
    limits: { maxProcesses: d.config.stepMaxProcesses, maxMemoryBytes: d.config.stepMaxMemoryMb * MIB },
    baseEnv: process.env,
    ...(d.lowPriority === undefined ? {} : { lowPriority: d.lowPriority }),
    // Its keys, tokens, secrets and other jobs' files; the user's own files and sockets.
    hiddenPaths: [...distinctDirs(d.config), homedir(), '/root', '/home', '/run/user'].filter((p, i, all) => p !== '/' && all.indexOf(p) === i)
  })
  return { pipeline, containment: `${containment.mode}: ${containment.reason}`, warm: async () => await workspaces.warmWorkspaces() }
}

type PipelineExecutorSandbox = 'never' | 'when-asked' | 'always'

async function sandboxMode (config: NodeConfig): Promise<{ mode: PipelineExecutorSandbox, note: string }> {
  const status = await detectSandbox(config.sandbox)
  if (!status.available) return { mode: 'never', note: status.reason ?? 'off' }
  return { mode: 'always', note: 'bubblewrap for every step' }
}

/** Registers the four servers on the mesh (before it starts); returns them by protocol for local dials. */
async function serve (d: RunnerDeps, access: AccessIndex, parts: { mirrors: Mirrors, logs: LogStore, artifacts: ArtifactStore }, refusedFrame: () => void): Promise<Map<string, Handler>> {
  const logger = d.logger.child({ component: 'runner-serve' })
  const handlers = new Map<string, Handler>([
    [GIT_PROTOCOL, createSourceServer({
      locate: async (repo, commit) => [access.announcedHere(repo, commit) ? d.repos.pathOf(repo) : undefined, parts.mirrors.pathOf(repo)].filter((p): p is string => p !== undefined),
      announced: access.announced,
      logger,
      refusedFrame
    })],
    [ARTIFACTS_PROTOCOL, createArtifactServer({ store: parts.artifacts, authorize: access.mayFetchArtifact, logger, refusedFrame })],
    [LOGS_PROTOCOL, createLogServer({ store: parts.logs, mayRead: access.mayReadLog, logger, refusedFrame })],
    ['secrets', createSecretServer({
      secretsFor: async (peer, job, attempt) => await secretsFor({ fold: d.fold, peerId: d.peerId, repos: d.repos, dataDir: d.config.dataDir }, peer, job, attempt),
      logger,
      refusedFrame
    })]
  ])
  const inbound: Record<string, number> = { [GIT_PROTOCOL]: 8, [ARTIFACTS_PROTOCOL]: 16, [LOGS_PROTOCOL]: 32, secrets: 8 }
  for (const [name, handler] of handlers) await d.mesh.handleStream(name, handler, { maxInbound: inbound[name] ?? 8 })
  return handlers
}

/** Creates the runner side and registers its servers on `mesh` (call before `mesh.start()`). */
export async function createRunnerServices (d: RunnerDeps): Promise<RunnerServices> {
  const mirrors = createMirrors({ root: dataPath(d.config.dataDir, 'mirrors') })
  const logs = createLogStore({ dir: logsDir(d.config), capBytes: d.config.logCapMb * MIB })
  const artifacts = createArtifactStore({ dir: dataPath(d.config.dataDir, 'artifacts'), budgetBytes: d.config.artifactBudgetMb * MIB, logger: d.logger.child({ component: 'artifacts' }) })
  const sandbox = await sandboxMode(d.config)
  const access = createAccessIndex({ fold: d.fold }, { self: d.peerId })
  let refusedFrames = 0
  const handlers = await serve(d, access, { mirrors, logs, artifacts }, () => { refusedFrames++ })
  const dial = dialer(d, handlers)
  const { pipeline, containment, warm } = await executorOf(d, { mirrors, logs, artifacts }, sandbox.mode, dial)
  const synthetic = createSyntheticExecutor()
  let warmWorkspaces: string[] = await warm()
  const executor: JobExecutor = recordRuns({
    prefetch: (job) => { if (job.synthetic === undefined) pipeline.prefetch?.(job) },
    async run (job: JobState, attempt: number, signal: AbortSignal, started?: Promise<void>): Promise<AttemptReport> {
      if (job.synthetic !== undefined) return await synthetic.run(job, attempt, signal, started)
      try {
        return await pipeline.run(job, attempt, signal, started)
      } finally {
        // Not awaited: the attempt ends (and its run record says so) when its steps have.
        void warm().then((keys) => { warmWorkspaces = keys }, () => {})
      }
    }
  }, { dataDir: d.config.dataDir, peerId: d.peerId, logger: d.logger })
  return {
    executor,
    labels: sandbox.mode === 'never' ? [] : [SANDBOX_LABEL],
    local: () => ({ warmWorkspaces, activity: pipeline.activity() }),
    results: createResultAvailability({ store: artifacts, live: stayingPeers(d), dial: async (p) => await dial(p, ARTIFACTS_PROTOCOL), clock: d.clock, logger: d.logger.child({ component: 'availability' }) }, { self: d.peerId }),
    access,
    mirrors,
    logs,
    artifacts,
    describe: () => ({ containment, sandbox: sandbox.note }),
    refusedFrames: () => refusedFrames
  }
}
