/**
 * What the control API answers, as zod schemas: the route table (api-routes.ts) names them per
 * route and status, the OpenAPI file is generated from them, and with DEVQ_API_CHECK=1 every JSON
 * answer is checked against them (api-check.ts). Plain `z.object` where a value is open-ended
 * diagnostics; strict objects wherever the shape is the contract.
 */
import { z } from 'zod'
import { ArtifactRef, BidScore, FailureKind, FinishStatus, JobActivity, Priority, RetryPolicy, Role, ShareMode, SyntheticSpec, WorkspaceMode, type JobState } from '@devq/core'
import { JobStatusSchema } from './event-schemas.ts'

/** Every error answer: `{name, code, message, data, retryable}` (code equals name). */
export const ApiErrorBody = z.strictObject({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
  retryable: z.boolean()
})

const AttemptState = z.strictObject({
  n: z.number().int(),
  runner: z.string(),
  awardedBy: z.string(),
  award: z.string(),
  awardedAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  outcome: z.enum(['succeeded', 'failed', 'cancelled', 'lost']).optional(),
  failure: z.union([FailureKind, z.literal('runner_lost')]).optional(),
  exitCode: z.number().nullable().optional(),
  reason: z.string().optional()
})

const JobResult = z.strictObject({
  status: FinishStatus,
  attempt: z.number().int(),
  exitCode: z.number().nullable(),
  artifacts: z.array(ArtifactRef),
  logDigest: z.string().nullable(),
  by: z.string(),
  at: z.number(),
  runMs: z.number(),
  cachedFrom: z.string().optional(),
  provenance: z.string().optional(),
  fetched: z.strictObject({ bytes: z.number(), objects: z.number() }).optional()
})

const jobStateShape = {
  id: z.string(),
  origin: z.string(),
  repo: z.string(),
  ref: z.string(),
  commit: z.string(),
  tree: z.string().optional(),
  pipelineJob: z.string(),
  run: z.string().optional(),
  needs: z.array(z.strictObject({ pipelineJob: z.string(), job: z.string().optional() })),
  priority: Priority,
  labels: z.array(z.string()),
  group: z.strictObject({ name: z.string(), cancelInProgress: z.boolean() }).optional(),
  repoCap: z.number().optional(),
  retry: RetryPolicy,
  timeoutMs: z.number(),
  cache: z.boolean(),
  cacheKey: z.string().optional(),
  sensitive: z.boolean(),
  workspace: WorkspaceMode.optional(),
  source: z.strictObject({ addrs: z.array(z.string()) }),
  synthetic: SyntheticSpec.optional(),
  announcedAt: z.number(),
  announceLamport: z.number(),
  status: JobStatusSchema,
  attempt: z.number().int(),
  notBefore: z.number(),
  queuedAt: z.number(),
  attempts: z.array(AttemptState),
  bids: z.array(z.strictObject({ peer: z.string(), labels: z.array(z.string()), score: BidScore, at: z.number() })),
  result: JobResult.optional(),
  retries: z.number().int(),
  supersededBy: z.string().optional(),
  cancelReason: z.string().optional(),
  skippedBecause: z.string().optional()
}

/** A job as the fold has it (`GET /v1/jobs`). */
export const JobStateSchema = z.strictObject(jobStateShape)

/** Holds only if the schema and core's JobState describe the same type: tsc fails when one changes alone. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const jobStateInSync: Same<z.output<typeof JobStateSchema>, JobState> = true
void jobStateInSync

/** One job with this peer's view of it (`GET /v1/jobs/:id`, the jobs of a run). */
export const JobViewSchema = z.strictObject({
  ...jobStateShape,
  arrivedAt: z.number().optional(),
  activity: JobActivity.optional(),
  pulled: z.strictObject({ state: z.enum(['pending', 'done', 'failed']), detail: z.string().optional(), at: z.number() }).optional()
})

const Counts = z.record(z.string(), z.number())

export const StatusResponse = z.strictObject({
  peer: z.strictObject({
    id: z.string(), addresses: z.array(z.string()), status: z.enum(['idle', 'busy', 'draining']), slots: z.number(), freeSlots: z.number(),
    labels: z.array(z.string()), shareMode: ShareMode, running: z.array(z.string())
  }),
  team: z.strictObject({ name: z.string(), mode: z.enum(['open', 'strict']), members: z.record(z.string(), Role) }),
  peers: z.array(z.strictObject({ id: z.string(), status: z.string(), slots: z.number(), freeSlots: z.number(), load: z.number(), labels: z.array(z.string()), shareMode: ShareMode, userActive: z.boolean(), version: z.string() })),
  connected: z.array(z.string()),
  queue: z.array(z.strictObject({ id: z.string(), priority: Priority, attempt: z.number(), waitingMs: z.number() })),
  counts: Counts,
  ledger: z.strictObject({
    size: z.number(), stateHash: z.string(), versionVector: Counts,
    stats: z.object({ accepted: z.number(), duplicates: z.number(), equivocations: z.number(), rejected: Counts }),
    faulty: Counts
  }),
  /** The mesh's counters (gossip, sync, streams, rejections by reason); diagnostics, open-ended. */
  mesh: z.record(z.string(), z.unknown())
})

export const JobStatusAnswer = z.strictObject({ id: z.string(), status: JobStatusSchema.optional() })
export const JobPriorityAnswer = z.strictObject({ id: z.string(), priority: Priority.optional() })
export const SyntheticAnswer = z.strictObject({ id: z.string(), ids: z.array(z.string()) })
export const TeamAnswer = z.strictObject({ name: z.string().optional(), mode: z.enum(['open', 'strict']), members: z.record(z.string(), Role) })
export const RunAnswer = z.strictObject({
  run: z.string(), repo: z.string(), dir: z.string(), commit: z.string(), tree: z.string(), ref: z.string(),
  /** True when this peer had announced the same run before: the answer is that run, nothing new was written. */
  existing: z.boolean(),
  jobs: z.array(z.strictObject({ id: z.string(), pipelineJob: z.string(), needs: z.array(z.string()) }))
})
export const RunJobsAnswer = z.strictObject({ run: z.string(), jobs: z.array(JobViewSchema) })
export const OutlineAnswer = z.strictObject({
  job: z.string(), attempt: z.number(), lines: z.number(),
  groups: z.array(z.strictObject({ name: z.string(), line: z.number(), end: z.number(), collapsed: z.boolean() }))
})
export const PullAnswer = z.strictObject({
  files: z.array(z.strictObject({ name: z.string(), kind: ArtifactRef.shape.kind, digest: z.string(), size: z.number(), path: z.string() }))
})
export const ConnectedAnswer = z.strictObject({ connected: z.array(z.string()) })
export const TicketAnswer = z.strictObject({ ticket: z.string().regex(/^[0-9a-f]{64}$/), expiresInMs: z.number() })
/** `POST /v1/session/code`: `url` opens the dashboard with the code in its fragment, `http://<api>/#code=<code>`. */
export const SignInCodeAnswer = z.strictObject({ code: z.string().regex(/^[0-9a-f]{64}$/), url: z.string(), expiresInMs: z.number() })
/** The sign-in routes' answer: whether the request's browser is signed in, and for how many ms more. */
export const SessionAnswer = z.strictObject({ signedIn: z.boolean(), expiresInMs: z.number().optional() })
export const StreamStatsAnswer = z.strictObject({
  stream: z.string(), seq: z.number(),
  ring: z.strictObject({ events: z.number(), bytes: z.number(), oldestSeq: z.number().optional() }),
  clients: z.number(),
  dropped: z.strictObject({ tooSlow: z.number() })
})
export const TeamViewAnswer = z.strictObject({
  name: z.string(),
  mode: z.enum(['open', 'strict']),
  /** This peer's id. */
  self: z.string(),
  /** Listed members from the ledger's team, admins first, then trusted peers, then members. */
  members: z.array(z.strictObject({ peer: z.string(), role: Role, self: z.boolean() }))
})
/** A join token, as `devq team token` prints it: the team key and the addresses this node listens on. */
export const JoinTokenAnswer = z.strictObject({ token: z.string().startsWith('devq1.') })
/** This peer's slots and labels (as the config file's `slots` and `labels` spell them: no `devq:` label). */
export const SettingsAnswer = z.strictObject({ slots: z.number().int().min(0), labels: z.array(z.string()) })
/** A settings change: the settings now, and whether the config file took them (`{file}`) or why not (`{error}`). */
export const SettingsChangeAnswer = SettingsAnswer.extend({
  kept: z.union([z.strictObject({ file: z.string() }), z.strictObject({ error: z.string() })])
})
