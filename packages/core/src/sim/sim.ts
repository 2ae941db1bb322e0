import type { BodyOf, Priority, RetryPolicy } from '../events/bodies.ts'
import type { SchedulerPolicy } from '../scheduler/policy.ts'
import { terminalStatuses } from '../fold/types.ts'
import { createSimLoop, type SimLoop } from './loop.ts'
import { createSimNetwork, type NetworkFaults, type SimNetwork } from './network.ts'
import { createRng, type Rng } from './rng.ts'
import { SimPeer, type ExecutionRecord, type SimMessage, type SimPeerSpec, type SimTimings } from './peer.ts'

export interface SimOptions {
  seed: number
  peers: readonly SimPeerSpec[]
  faults?: Partial<NetworkFaults>
  policy?: Partial<SchedulerPolicy>
  timings?: Partial<SimTimings>
}

/** A synthetic job to announce in the simulation. */
export interface SimJobSpec {
  durationMs: number
  priority?: Priority
  exitCode?: number
  labels?: string[]
  group?: { name: string, cancelInProgress: boolean }
  retry?: RetryPolicy
  repo?: string
  timeoutMs?: number
  sensitive?: boolean
  /** At most this many jobs of the job's repo awarded or running at once. */
  repoCap?: number
  /** Build-avoidance key; a job with one reuses an earlier success with the same key. */
  cacheKey?: string
}

/**
 * A deterministic multi-peer simulation: real fold and scheduler on every peer, a fake clock, and
 * an in-memory network that drops, duplicates, delays, reorders and partitions. Same seed, same run.
 */
export interface Simulation {
  readonly loop: SimLoop
  readonly network: SimNetwork<SimMessage>
  readonly peers: readonly SimPeer[]
  readonly rng: Rng
  /** Every attempt any runner started. */
  readonly executions: readonly ExecutionRecord[]
  /** Announces a synthetic job from peer `origin`; resolves to its job id. */
  announce(origin: number, spec: SimJobSpec): Promise<string>
  crash(peer: number): Promise<void>
  restart(peer: number): void
  /** Steps peer `peer`'s wall clock by `deltaMs`; its monotonic clock goes on. */
  stepClock(peer: number, deltaMs: number): void
  partition(groups: readonly (readonly number[])[]): void
  heal(): void
  /** Runs simulated time up to `untilMs` (absolute), or until `done()`. */
  run(untilMs: number, done?: () => boolean): Promise<void>
  /** Runs until every announced job is terminal on every up peer and their state hashes agree. */
  settle(maxMs: number): Promise<boolean>
  announced(): readonly string[]
  close(): Promise<void>
}

const defaultTimings: SimTimings = { tickMs: 100, presenceMs: 1000, syncMs: 2000, syncBatch: 500 }

/** Every up peer holds every job in a terminal status, and all agree on the state hash. */
function allSettled (peers: readonly SimPeer[], jobIds: readonly string[]): boolean {
  const up = peers.filter((p) => p.up)
  if (up.length === 0) return false
  const hash = up[0]!.replica.fold.stateHash()
  for (const p of up) {
    for (const id of jobIds) {
      const job = p.replica.fold.job(id)
      if (job === undefined || !terminalStatuses.has(job.status)) return false
    }
    if (p.replica.fold.stateHash() !== hash) return false
  }
  return true
}

/** The announce of the `n`th simulated job. */
function announceBody (n: number, spec: SimJobSpec): BodyOf<'job.announced'> {
  return {
    repo: spec.repo ?? 'sim-repo',
    ref: 'refs/heads/main',
    commit: (n.toString(16).padStart(8, '0')).repeat(5),
    pipelineJob: `job-${n}`,
    priority: spec.priority ?? 'normal',
    labels: spec.labels ?? [],
    retry: spec.retry ?? { max: 0, when: [] },
    timeoutMs: spec.timeoutMs ?? 0,
    cache: spec.cacheKey !== undefined,
    sensitive: spec.sensitive ?? false,
    source: { addrs: [] },
    synthetic: { durationMs: spec.durationMs, exitCode: spec.exitCode ?? 0, outputBytes: 0 },
    ...(spec.group === undefined ? {} : { group: spec.group }),
    ...(spec.cacheKey === undefined ? {} : { cacheKey: spec.cacheKey }),
    ...(spec.repoCap === undefined ? {} : { repoCap: spec.repoCap })
  }
}

export function createSimulation (options: SimOptions): Simulation {
  const loop = createSimLoop()
  const rng = createRng(options.seed)
  const faults: NetworkFaults = { loss: 0, duplicate: 0, minDelayMs: 1, maxDelayMs: 5, ...options.faults }
  const network = createSimNetwork<SimMessage>({ loop, rng }, { faults })
  const executions: ExecutionRecord[] = []
  const timings = { ...defaultTimings, ...options.timings }
  const ctx = { loop, net: network, rng, timings, policy: options.policy ?? {}, executions }
  const peers = options.peers.map((spec) => new SimPeer(ctx, spec))
  for (const p of peers) p.start()
  const jobIds: string[] = []
  let counter = 0

  const settled = (): boolean => allSettled(peers, jobIds)

  return {
    loop,
    network,
    peers,
    rng,
    executions,
    async announce (origin, spec) {
      counter++
      const e = await peers[origin]!.publish('job.announced', announceBody(counter, spec)) as { id: string } | undefined
      if (e === undefined) throw new Error(`peer ${origin} is down and cannot announce`)
      jobIds.push(e.id)
      return e.id
    },
    crash: async (i) => { await peers[i]!.crash() },
    restart: (i) => { peers[i]!.start() },
    stepClock: (i, deltaMs) => { peers[i]!.stepClock(deltaMs) },
    partition: (groups) => { network.partition(groups.map((g) => g.map((i) => peers[i]!.id))) },
    heal: () => { network.heal() },
    run: async (untilMs, done) => { await loop.run(untilMs, done) },
    async settle (maxMs) {
      let ok = false
      let checkedAt = -Infinity
      // Hashing every peer's state after every timer would dominate the run: check twice a second.
      const done = (): boolean => {
        if (loop.now() - checkedAt < 500) return false
        checkedAt = loop.now()
        return (ok = settled())
      }
      await loop.run(loop.now() + maxMs, done)
      return ok || settled()
    },
    announced: () => jobIds,
    async close () {
      for (const p of peers) await p.crash()
    }
  }
}

