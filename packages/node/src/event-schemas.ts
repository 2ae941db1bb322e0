/**
 * The messages of the event stream (`GET /v1/events`), as zod schemas: what the node sends (events,
 * the opening `hello` or `resync.required`, errors, log lines) and what a client may send
 * (subscribe and unsubscribe). They are the stream's contract: the OpenAPI file carries them, and
 * every client message is checked against them.
 */
import { z } from 'zod'
import { EventId, jobStatuses, PeerIdString, Priority, type JobStatus } from '@devq/core'

export const JobStatusSchema = z.enum(jobStatuses as [JobStatus, ...JobStatus[]])

/** A job as the stream shows it: what a list of jobs displays. `GET /v1/jobs/:id` has the rest. */
export const JobSummary = z.strictObject({
  id: EventId,
  origin: z.string(),
  repo: z.string(),
  ref: z.string(),
  commit: z.string(),
  pipelineJob: z.string(),
  run: z.string().optional(),
  priority: Priority,
  status: JobStatusSchema,
  /** The current attempt (1-based). */
  attempt: z.number().int(),
  /** The runner of the current attempt, once awarded. */
  runner: z.string().optional(),
  announcedAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  /** How the current attempt failed, when it did. */
  failure: z.string().optional(),
  result: z.strictObject({ status: z.string(), exitCode: z.number().nullable(), runMs: z.number() }).optional(),
  skippedBecause: z.string().optional(),
  cancelReason: z.string().optional()
})
export type JobSummary = z.infer<typeof JobSummary>

/** Where a run stands: `queued` until a job of it starts, `running`, then how it ended once every job did. */
export const RunStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled'])

export const RunSummary = z.strictObject({
  run: z.string(),
  origin: z.string(),
  repo: z.string(),
  ref: z.string(),
  commit: z.string(),
  status: RunStatus,
  /** Its jobs in all. */
  jobs: z.number().int(),
  /** Its jobs by status. */
  counts: z.record(z.string(), z.number().int())
})
export type RunSummary = z.infer<typeof RunSummary>

export const PeerSummary = z.strictObject({
  id: PeerIdString,
  /** `offline` once its heartbeats stopped for the lease time (or it left). */
  status: z.enum(['idle', 'busy', 'draining', 'offline']),
  slots: z.number().int(),
  freeSlots: z.number().int(),
  labels: z.array(z.string()),
  version: z.string(),
  /** This node itself. */
  self: z.boolean()
})
export type PeerSummary = z.infer<typeof PeerSummary>

const event = <T extends string, D extends z.ZodType>(type: T, data: D): z.ZodObject<{ seq: z.ZodNumber, type: z.ZodLiteral<T>, time: z.ZodNumber, data: D }> =>
  z.strictObject({ seq: z.number().int().min(1), type: z.literal(type), time: z.number(), data })

/** A job appeared or changed (status, attempt, runner, priority, result); `previous` is its status before, when that changed. */
export const JobChangedEvent = event('job.changed', z.strictObject({ job: JobSummary, previous: JobStatusSchema.optional() }))
/** A job no longer counts (its announce was judged void: an equivocating or removed author). */
export const JobRemovedEvent = event('job.removed', z.strictObject({ id: EventId }))
/** A job of the run changed. */
export const RunChangedEvent = event('run.changed', z.strictObject({ run: RunSummary }))
/** A peer was first heard (`joined`), changed status or slots (`updated`) or went quiet (`left`, status offline). */
export const PeerChangedEvent = event('peer.changed', z.strictObject({ change: z.enum(['joined', 'updated', 'left']), peer: PeerSummary }))

/** Every event of the stream (the messages that carry a `seq`). */
export const StreamEventSchema = z.discriminatedUnion('type', [JobChangedEvent, JobRemovedEvent, RunChangedEvent, PeerChangedEvent])

/**
 * The first message on every connection: the stream's id and the seq of its newest event. Events
 * with seq > `seq` follow (after the replayed ones when the client resumed).
 */
export const HelloMessage = z.strictObject({ type: z.literal('hello'), stream: z.string(), seq: z.number().int().min(0) })
/**
 * The first message instead of `hello` when a resume cannot be served (`since` is older than the
 * ring, or from another stream): reload state with GET, then apply events with seq > `seq`.
 */
export const ResyncMessage = z.strictObject({ type: z.literal('resync.required'), stream: z.string(), seq: z.number().int().min(0), reason: z.enum(['too_old', 'other_stream']) })
/** Lines of a subscribed log: `text` is the bytes [offset, end) of the attempt's log (whole lines but at the end of the log). */
export const LogAppendedMessage = z.strictObject({ type: z.literal('log.appended'), job: EventId, attempt: z.number().int(), offset: z.number().int(), end: z.number().int(), text: z.string() })
/** A subscribed log is complete (its attempt ended); the subscription is over. */
export const LogEndedMessage = z.strictObject({ type: z.literal('log.ended'), job: EventId, attempt: z.number().int(), end: z.number().int() })
/** A client message was refused, or a subscription failed; the connection stays open. */
export const ErrorMessage = z.strictObject({
  type: z.literal('error'),
  error: z.strictObject({ name: z.string(), code: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()) })
})

/** Everything the node sends on the stream. */
export const ServerMessage = z.union([StreamEventSchema, HelloMessage, ResyncMessage, LogAppendedMessage, LogEndedMessage, ErrorMessage])

/** Largest message a client may send, in bytes. */
export const MAX_CLIENT_MESSAGE = 4096

/**
 * What a client may send: follow the log of a job (its current attempt, or `attempt`, from byte
 * `from`), or stop following it.
 */
export const ClientMessage = z.union([
  z.strictObject({ subscribe: z.strictObject({ logs: EventId, attempt: z.number().int().min(1).max(1000).optional(), from: z.number().int().min(0).optional() }) }),
  z.strictObject({ unsubscribe: z.strictObject({ logs: EventId }) })
])
export type ClientMessage = z.infer<typeof ClientMessage>
