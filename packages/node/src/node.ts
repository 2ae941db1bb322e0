import { mkdir } from 'node:fs/promises'
import { cpus } from 'node:os'
import {
  createFold, createLedger, createPresenceTable, createScheduler, createWorkerVerifier, systemClock,
  type ArtifactRef, type PresenceInfo, type Fold, type Ledger, type Logger, type PresenceTable, type Publish, type Scheduler, type Signer, type WorkerVerifier
} from '@devq/core'
import { settleStepCgroups } from '@devq/runner'
import { createMesh, generateTeamKey, formatTeamKey, loadOrCreatePeerKey, parseTeamKey, type Mesh, type PresenceStamps } from '@devq/p2p'
import type { NodeConfig } from './config.ts'
import { JobArrivals } from './arrivals.ts'
import { loadPerCore } from './load.ts'
import { startHeartbeat, startSchedulerLoop } from './loops.ts'
import { createNodeClock } from './clock.ts'
import { libp2pLogLevel } from './logger.ts'
import { createOriginSync, type OriginSync } from './origin-sync.ts'
import { roomFor as checkRoom } from './room.ts'
import { openRepoRegistry, type RepoRegistry } from './repos.ts'
import { createRetention } from './retention.ts'
import { createOwnChainGuard } from './own-chain.ts'
import { keepPresenceStamps, loadPresenceStamps } from './presence-stamps.ts'
import { createRunnerServices, type RunnerServices } from './runner-services.ts'
import { createSharing, type Sharing } from './sharing.ts'
import { createCapacity, offeredLabels, type Capacity } from './capacity.ts'
import { createRunAnnouncer, type RunAnnouncer } from './run-announcer.ts'
import { readTeam, writeTeam, type TeamFile } from './team.ts'
import { DEVQ_VERSION } from './version.ts'
import { dataPath, distinctDirs } from './paths.ts'

/** How long a clean stop waits for running attempts before handing them back (ms). */
const DRAIN_MS = 5_000

/** A running devq-node: ledger, mesh and scheduler wired together. */
export interface DevqNode {
  readonly peerId: string
  readonly signer: Signer
  readonly ledger: Ledger
  readonly fold: Fold
  readonly mesh: Mesh
  readonly scheduler: Scheduler
  readonly presence: PresenceTable
  readonly team: TeamFile
  readonly config: NodeConfig
  /** Local wall ms each job's announce arrived at this peer (see JobArrivals). */
  readonly arrivals: JobArrivals
  /** Mirrors, workspaces, logs, artifacts and the servers other peers fetch from. */
  readonly runner: RunnerServices
  /** This peer's copies of its own jobs' artifacts and logs. */
  readonly origin: OriginSync
  /** Where this peer's repositories are, by repo id. */
  readonly repos: RepoRegistry
  /** How this peer is lent now and whether its user is around. */
  readonly sharing: Sharing
  /** Its slots and labels now (the config's at start; `POST /v1/settings` changes them). */
  readonly capacity: Capacity
  /** Announces the runs of commits, once per commit, ref and job set (see run-announcer.ts). */
  readonly runs: RunAnnouncer
  /** Drains, hands back what still runs, flushes and closes everything. Idempotent. */
  stop(): Promise<void>
}

/** Reads the team file, or creates a new single-peer team with this peer as its admin. */
async function ensureTeam (dataDir: string, peerId: string): Promise<{ team: TeamFile, created: boolean }> {
  const existing = await readTeam(dataDir)
  if (existing !== undefined) return { team: existing, created: false }
  const team: TeamFile = { v: 1, name: `devq-${peerId.slice(-8).toLowerCase()}`, mode: 'open', key: formatTeamKey(generateTeamKey()), admin: peerId, bootstrap: [] }
  await writeTeam(dataDir, team)
  return { team, created: true }
}

/** Starts a node from its configuration. The caller stops it (SIGTERM handling lives in the CLI). */
export async function startDevqNode (config: NodeConfig, logger: Logger): Promise<DevqNode> {
  for (const dir of distinctDirs(config)) await mkdir(dir, { recursive: true, mode: 0o700 })
  const key = await loadOrCreatePeerKey(config.dataDir)
  const log = logger.child({ peer_id: key.peerId })
  const time = createNodeClock({ logger: log }, { fault: config.clockFault })
  const clock = time.clock
  const { team, created } = await ensureTeam(config.dataDir, key.peerId)
  const fold = createFold({ admin: team.admin })
  const isMember = (peer: string): boolean => team.mode === 'open' || peer === team.admin || fold.team().members[peer] !== undefined
  // A removed member's events from before its removal still belong to the ledger; the fold judges
  // each at its place in the order, so peers that learn of the removal at different times agree.
  const mayHaveWritten = (peer: string): boolean => isMember(peer) || fold.wasListed(peer)
  const verifier: WorkerVerifier = createWorkerVerifier({ threads: 2 })
  const ownChain = await createOwnChainGuard({ logger: log }, { dataDir: config.dataDir, peerId: key.peerId })
  const ledger = createLedger({ fold, verifier, clock, logger: log }, { path: dataPath(config.dataDir, 'ledger'), isMember: mayHaveWritten, mayAppend: ownChain.mayAppend, rebuild: config.rebuildLedger })
  await ledger.open()
  ownChain.noteHead(ledger.versionVector()[key.peerId] ?? 0)
  ledger.onAccepted((events) => { ownChain.observe(events) })
  // The admin founds the team in the ledger once; an admin whose store was lost waits for sync.
  if (created || (team.admin === key.peerId && fold.team().name === undefined && !ownChain.wroteBefore)) {
    await ledger.append(key.signer, 'team.created', { name: team.name, mode: team.mode })
  }
  const mesh = createMesh({ ledger, logger, clock }, {
    privateKey: key.privateKey,
    teamKey: parseTeamKey(team.key),
    team: team.name,
    listen: config.listen,
    announce: config.announce,
    bootstrap: [...team.bootstrap, ...config.bootstrap],
    mdns: config.mdns,
    isMember,
    faults: config.faults,
    libp2pLog: libp2pLogLevel(config.logLevel),
    ...await stampsFrom(config.dataDir, log)
  })
  // Known to the ledger: listed in the team, or the author of events (in an open team too).
  const known = (peer: string): boolean => peer === team.admin || fold.team().members[peer] !== undefined || fold.wasListed(peer) || ledger.versionVector()[peer] !== undefined
  const presence = createPresenceTable({ keepLiveMs: config.leaseMs, known })
  const repos = await openRepoRegistry(config.dataDir)
  const cores = cpus().length
  const load = loadPerCore(clock, cores)
  const sharing = createSharing({ clock, logger: log }, { mode: config.shareMode, idleAfterS: config.idleAfterS, idleLoad: config.idleLoad, load, ownWork: () => scheduler.executing().length > 0 })
  const runner = await createRunnerServices({ config, fold, peerId: key.peerId, mesh, presence, repos, clock, logger: log, lowPriority: sharing.lowPriority })
  let warnedNotMember = false
  // In a strict team a peer takes part only once an admin added it; until then it bids on nothing.
  const publish: Publish = async (type, body) => {
    if (isMember(key.peerId)) return await ledger.append(key.signer, type, body)
    if (!warnedNotMember) log.warn({ team: team.name }, 'not a member of this strict team yet: ask an admin to run devq team add ' + key.peerId)
    warnedNotMember = true
    return undefined
  }
  const scheduler = createScheduler(
    { view: fold, publish, presence, executor: runner.executor, results: runner.results, signer: key.signer, clock, logger: log },
    {
      peerId: key.peerId, slots: config.slots, labels: offeredLabels(config.labels, runner.labels), cores, shareMode: config.shareMode, version: DEVQ_VERSION,
      policy: { leaseMs: config.leaseMs },
      local: () => ({ load: load(), userActive: sharing.userActive(), shareMode: sharing.mode(), ...runner.local() })
    }
  )
  const capacity = createCapacity({ scheduler }, { slots: config.slots, labels: config.labels, own: runner.labels })
  await mesh.start()
  return wire({ key, team, fold, ledger, mesh, presence, scheduler, verifier, config, log, runner, repos, sharing, capacity, closeClock: time.close })
}

interface Parts {
  key: { peerId: string, signer: Signer }
  team: TeamFile
  fold: Fold
  ledger: Ledger
  mesh: Mesh
  presence: PresenceTable
  scheduler: Scheduler
  verifier: WorkerVerifier
  config: NodeConfig
  log: Logger
  runner: RunnerServices
  repos: RepoRegistry
  sharing: Sharing
  capacity: Capacity
  closeClock: () => void
}

/** Most peers whose hello is remembered as answered. */
const MAX_GREETED = 4096

/**
 * A newcomer (or a peer back after a silence) hears the team at once, not a quiet lease later:
 * a peer answers the first hello of each start, and any heartbeat of a peer that was not live.
 */
function createGreetings (): { shouldAnswer: (info: PresenceInfo, wasLive: boolean) => boolean } {
  const greeted = new Set<string>()
  return {
    shouldAnswer (info, wasLive) {
      if (info.hello !== true) {
        greeted.delete(info.peer)
        return !wasLive
      }
      if (greeted.has(info.peer)) return !wasLive
      if (greeted.size >= MAX_GREETED) greeted.clear()
      greeted.add(info.peer)
      return true
    }
  }
}

/** Stops bidding and gives running attempts up to DRAIN_MS to end. */
async function drain (scheduler: Scheduler): Promise<void> {
  scheduler.drain()
  const deadline = systemClock.monotonicMs() + DRAIN_MS
  while (scheduler.executing().length > 0 && systemClock.monotonicMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
}

/** This node's run announcer: its own runs, announced through its ledger, served from its repositories. */
function runAnnouncerOf (p: Parts): RunAnnouncer {
  return createRunAnnouncer({
    fold: p.fold,
    peerId: p.key.peerId,
    append: async (type, body) => await p.ledger.append(p.key.signer, type, body),
    addresses: () => p.mesh.addresses(),
    remember: async (repo, path) => { await p.repos.remember(repo, path) }
  })
}

/** Connects the parts with timers and listeners, and returns the node with its orderly stop. */
function wire (p: Parts): DevqNode {
  const { ledger, mesh, presence, scheduler, log } = p
  const heartbeat = startHeartbeat(mesh, scheduler, log)
  // A user who comes back to an `idle` laptop stops it lending: peers must hear that now, not at the next beat.
  const loop = startSchedulerLoop(scheduler, () => { heartbeat.lendingChanged() })
  const arrivals = new JobArrivals()
  const retention = createRetention({ fold: p.fold, store: p.runner.artifacts, logger: log })
  const livePeers = (): string[] => presence.live(systemClock.monotonicMs(), p.config.leaseMs).map((i) => i.peer).filter((id) => id !== p.key.peerId)
  const roomFor = async (refs: readonly ArtifactRef[]): Promise<string | undefined> => await checkRoom(p.runner.artifacts, p.config.dataDir, refs, p.config.artifactBudgetMb * 1024 * 1024)
  const origin = createOriginSync({ roomFor, fold: p.fold, peerId: p.key.peerId, mesh, artifacts: p.runner.artifacts, logs: p.runner.logs, livePeers, logger: log, onStored: retention.schedule })
  const stamps = keepPresenceStamps(mesh, p.config.dataDir, log)
  const greets = createGreetings()
  const listeners = [
    ledger.onAccepted(arrivals.record),
    ledger.onAccepted(() => { loop.soon(); heartbeat.nudge() }),
    ledger.onAccepted((events, changes) => {
      p.runner.access.observe(events, changes)
      origin.observe(events, changes)
      if (changes.some((c) => c.after === 'succeeded')) retention.schedule()
    }),
    mesh.onPresence((info) => {
      const now = systemClock.monotonicMs()
      if (greets.shouldAnswer(info, presence.isLive(info.peer, now, p.config.leaseMs))) heartbeat.answer()
      presence.observe(info, now)
    }),
    // Peers see a new share mode with the next heartbeat: send it now rather than at the next beat.
    p.sharing.onModeChanged(() => { heartbeat.send(); loop.soon() }),
    // Likewise new slots or labels: a peer that can take more work says so now.
    p.capacity.onChanged(() => { heartbeat.send(); loop.soon() })
  ]
  loop.soon()
  let stopping: Promise<void> | undefined
  async function stop (): Promise<void> {
    await drain(scheduler)
    loop.close()
    await scheduler.stop({ handBack: true })
    heartbeat.send()
    heartbeat.close()
    for (const off of listeners) off()
    p.sharing.close()
    origin.close()
    retention.close()
    await stamps.close()
    // Give gossip a moment to carry the hand-backs and the draining heartbeat before the sockets close.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await mesh.stop()
    // Cgroups of steps that just ended go away once their last zombie is reaped.
    await settleStepCgroups()
    await ledger.close()
    await p.verifier.close()
    p.closeClock()
    log.info({}, 'node stopped')
  }
  return {
    peerId: p.key.peerId, signer: p.key.signer, ledger, fold: p.fold, mesh, scheduler, presence, team: p.team, config: p.config,
    arrivals, runner: p.runner, origin, repos: p.repos, sharing: p.sharing, capacity: p.capacity, runs: runAnnouncerOf(p),
    stop: async () => { stopping ??= stop(); await stopping }
  }
}

/** The mesh option that carries heartbeat stamps kept by an earlier run, when there are any. */
async function stampsFrom (dataDir: string, log: Logger): Promise<{ presenceStamps?: PresenceStamps }> {
  const presenceStamps = await loadPresenceStamps(dataDir, log)
  return presenceStamps === undefined ? {} : { presenceStamps }
}
