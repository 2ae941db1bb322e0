import { z } from 'zod'

/** Hex sha256, the id of an event and therefore of a job (a job's id is its announce event's id). */
export const EventId = z.string().regex(/^[0-9a-f]{64}$/, 'expected a hex sha256 id')
/** A libp2p peer id string (base58btc). */
export const PeerIdString = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{40,64}$/, 'expected a base58 peer id')
/** `sha256:<hex>` content digest of an artifact or a log. */
export const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<hex>')
const Attempt = z.number().int().min(1).max(1000)
/**
 * One label a job may require or a peer may offer (`linux`, `arch=x64`): the ledger's own schema,
 * so that an API, a config or a pipeline accepts exactly the labels an announce can carry.
 */
export const Label = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:\-/=]+$/, 'labels are [A-Za-z0-9_.:-/=]')
const Ms = z.number().int().min(0).max(30 * 24 * 3600 * 1000)

/** Priority levels, highest first. */
export const Priority = z.enum(['critical', 'high', 'normal', 'low'])
export type Priority = z.infer<typeof Priority>

/** When a failed attempt is retried automatically. */
export const RetryWhen = z.union([
  z.enum(['runner_lost', 'source_failed', 'timeout']),
  z.string().regex(/^exit_code:\d{1,3}$/, 'expected exit_code:N')
])
export type RetryWhen = z.infer<typeof RetryWhen>

export const RetryPolicy = z.strictObject({
  max: z.number().int().min(0).max(20),
  when: z.array(RetryWhen).max(16)
})
export type RetryPolicy = z.infer<typeof RetryPolicy>

/**
 * How willing a peer's owner is to lend it: `dedicated` (a build box), `shared` (a laptop in use:
 * it bids, scored below a dedicated box, and its steps run at low priority), `idle` (it bids only
 * while its user is away) or `off` (a member that bids on nothing but still sees the grid and
 * serves source and artifacts).
 */
export const ShareMode = z.enum(['off', 'idle', 'shared', 'dedicated'])
export type ShareMode = z.infer<typeof ShareMode>

/**
 * A bid's share mode: a current `ShareMode`, or `idle-only`, the name `idle` had in bids signed by
 * earlier versions (signed events never change, so the ledger still reads them; scored as `idle`).
 */
export const BidShareMode = z.enum([...ShareMode.options, 'idle-only'])
export type BidShareMode = z.infer<typeof BidShareMode>

/** A synthetic job: sleeps, optionally fails with a code and prints N bytes. For load and chaos tests. */
export const SyntheticSpec = z.strictObject({
  durationMs: Ms,
  exitCode: z.number().int().min(0).max(255),
  outputBytes: z.number().int().min(0).max(64 * 1024 * 1024)
})
export type SyntheticSpec = z.infer<typeof SyntheticSpec>

/** How a runner prepares a job's working tree: a fresh checkout, or its kept one moved to the commit. */
export const WorkspaceMode = z.enum(['clean', 'incremental'])
export type WorkspaceMode = z.infer<typeof WorkspaceMode>

/** A run: one commit's pipeline, announced by one origin in one write. 128-bit hex. */
export const RunId = z.string().regex(/^[0-9a-f]{32}$/, 'expected a 32-digit hex run id')
/** A concrete pipeline job id, e.g. `build (os=linux)`. */
const PipelineJobId = z.string().min(1).max(200)

export const JobAnnounced = z.strictObject({
  repo: z.string().min(1).max(128),
  ref: z.string().max(256),
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a git commit id'),
  tree: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/).optional(),
  pipelineJob: PipelineJobId,
  /** The run this job belongs to; its `needs` name other jobs of the same run and origin. */
  run: RunId.optional(),
  /** Pipeline job ids of the same run that must succeed before this one is queued. */
  needs: z.array(PipelineJobId).min(1).max(1024).optional(),
  priority: Priority,
  labels: z.array(Label).max(32),
  group: z.strictObject({ name: z.string().min(1).max(256), cancelInProgress: z.boolean() }).optional(),
  repoCap: z.number().int().min(1).max(1000).optional(),
  retry: RetryPolicy,
  timeoutMs: Ms,
  cache: z.boolean(),
  cacheKey: EventId.optional(),
  sensitive: z.boolean(),
  /** The pipeline job's workspace; absent (synthetic jobs, older announces) counts as clean for bids. */
  workspace: WorkspaceMode.optional(),
  source: z.strictObject({ addrs: z.array(z.string().max(256)).max(16) }),
  synthetic: SyntheticSpec.optional()
})

export const BidScore = z.strictObject({
  freeSlots: z.number().int().min(0).max(1024),
  cores: z.number().int().min(1).max(4096),
  /** 1-minute load average divided by cores. */
  load: z.number().min(0).max(1000),
  warm: z.boolean(),
  shareMode: BidShareMode,
  userActive: z.boolean(),
  recentFailures: z.number().int().min(0).max(1000)
})
export type BidScore = z.infer<typeof BidScore>

export const JobBid = z.strictObject({ job: EventId, attempt: Attempt, labels: z.array(Label).max(64), score: BidScore })
export const JobAwarded = z.strictObject({ job: EventId, attempt: Attempt, runner: PeerIdString })
export const JobStarted = z.strictObject({ job: EventId, attempt: Attempt })

export const FinishStatus = z.enum(['succeeded', 'failed', 'cancelled', 'cached'])
export type FinishStatus = z.infer<typeof FinishStatus>
/** Why an attempt failed, as the retry policy sees it. */
export const FailureKind = z.enum(['exit_code', 'timeout', 'source_failed', 'runner_error'])
export type FailureKind = z.infer<typeof FailureKind>

/** Largest artifact a finish may list, and all of one job's together (bytes). */
export const MAX_ARTIFACT_SIZE = 4 * 1024 ** 3
export const MAX_JOB_ARTIFACTS_SIZE = 16 * 1024 ** 3

/** A plain file name: no separators, no NUL, not `.` or `..`. */
// eslint-disable-next-line no-control-regex -- NUL is one of the characters a file name cannot hold
const FileName = z.string().min(1).max(255).regex(/^[^/\\\u0000]+$/, 'a file name without / or \\').refine((n) => n !== '.' && n !== '..', 'not . or ..')

export const ArtifactRef = z.strictObject({
  name: z.string().min(1).max(200),
  kind: z.enum(['binary', 'package', 'container']),
  /** The file name it is saved under: the collected file's own name, or `<name>.tar` for a bundle. */
  file: FileName.optional(),
  digest: Digest,
  /** Bytes; at most 4 GiB, the runner's cap on one artifact. */
  size: z.number().int().min(0).max(MAX_ARTIFACT_SIZE)
})
export type ArtifactRef = z.infer<typeof ArtifactRef>

/**
 * An Ed25519 signature (64 bytes) in standard base64 as DSSE spells it, in its one canonical
 * spelling: the unused low bits of the last character are zero.
 */
const DsseSig = z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'expected the standard base64 of a 64-byte signature')
  .refine((s) => Buffer.from(s, 'base64').toString('base64') === s, 'the signature is not in canonical base64 (its unused bits are set)')

/**
 * The runner's signature of the attempt's provenance: a DSSE signature over the in-toto statement
 * anyone rebuilds from the ledger (see `provenanceStatement`). The fold keeps a finish whose
 * signature does not verify as it would any other; readers report its provenance as invalid.
 */
export const FinishProvenance = z.strictObject({ sig: DsseSig })

export const JobFinished = z.strictObject({
  job: EventId,
  attempt: Attempt,
  status: FinishStatus,
  exitCode: z.number().int().min(-1).max(255).nullable(),
  failure: FailureKind.optional(),
  /** Of the attempt on its runner: `totalMs` all of it, `fetchMs` the wait for source, `runMs` the rest. */
  durations: z.strictObject({ fetchMs: Ms.optional(), runMs: Ms, totalMs: Ms }),
  artifacts: z.array(ArtifactRef).max(256).refine((a) => a.reduce((n, r) => n + r.size, 0) <= MAX_JOB_ARTIFACTS_SIZE, 'the artifacts of one job add up to at most 16 GiB'),
  logDigest: Digest.nullable(),
  cachedFrom: EventId.optional(),
  /** What fetching the source cost: pack bytes and objects received (0 when the runner had it). */
  fetched: z.strictObject({ bytes: z.number().int().min(0), objects: z.number().int().min(0) }).optional(),
  /** A short human reason for a failure, e.g. the cause of a `source_failed`. */
  reason: z.string().max(512).optional(),
  /** Absent in finishes of runners that sign no provenance, and in `cached` finishes (theirs is the source job's). */
  provenance: FinishProvenance.optional()
})
export const JobLost = z.strictObject({ job: EventId, attempt: Attempt, runner: PeerIdString, reason: z.literal('runner_lost') })
export const JobCancelRequested = z.strictObject({ job: EventId, reason: z.string().max(256).optional() })
export const JobPriorityChanged = z.strictObject({ job: EventId, priority: Priority })
export const JobRetryRequested = z.strictObject({ job: EventId })
export const JobSuperseded = z.strictObject({ job: EventId, by: EventId })

export const Role = z.enum(['member', 'trusted', 'admin'])
export type Role = z.infer<typeof Role>
/** A team name: it becomes part of topic and protocol names on the wire. */
export const TeamName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a team name is 1-64 of [A-Za-z0-9._-], starting with a letter or digit')
export const TeamCreated = z.strictObject({ name: TeamName, mode: z.enum(['open', 'strict']) })
export const TeamMemberAdded = z.strictObject({ peer: PeerIdString, role: Role })
/**
 * `upToSeq`: the removed peer's last seq the admin held. Its events above it count as written after
 * the removal, whatever Lamport value they carry, so a removed member cannot backdate events.
 */
export const TeamMemberRemoved = z.strictObject({ peer: PeerIdString, upToSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() })

/** Every event type and the schema of its body. Unknown types are rejected. */
export const bodySchemas = {
  'job.announced': JobAnnounced,
  'job.bid': JobBid,
  'job.awarded': JobAwarded,
  'job.started': JobStarted,
  'job.finished': JobFinished,
  'job.lost': JobLost,
  'job.cancel_requested': JobCancelRequested,
  'job.priority_changed': JobPriorityChanged,
  'job.retry_requested': JobRetryRequested,
  'job.superseded': JobSuperseded,
  'team.created': TeamCreated,
  'team.member_added': TeamMemberAdded,
  'team.member_removed': TeamMemberRemoved
} as const

export type EventType = keyof typeof bodySchemas
/** The body type of each event type. */
export type BodyOf<T extends EventType> = z.infer<(typeof bodySchemas)[T]>
export const eventTypes = Object.keys(bodySchemas) as EventType[]
