import { z } from 'zod'
import { EventId, jobStatuses, JobAnnounced, PeerIdString, Priority, RetryPolicy, Role, type JobStatus } from '@devq/core'
import { ApiRequestError } from './errors.ts'

/**
 * `value` checked against `schema`; throws a 400 ApiRequestError naming `where` (body, query,
 * path) and the first field at fault.
 */
export function parseRequest<T> (schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value ?? {})
  if (r.success) return r.data
  const field = r.error.issues[0]?.path.join('.') ?? ''
  throw new ApiRequestError(`${where}: ${z.prettifyError(r.error)}`, { status: 400, detail: where, ...(field === '' ? {} : { field }) })
}

/** Most synthetic jobs one submit may announce. */
export const MAX_SYNTHETIC_BURST = 1000

/** Body of `POST /v1/jobs/synthetic`. */
export const SyntheticJobRequest = z.strictObject({
  durationMs: z.number().int().min(0).max(24 * 3600 * 1000),
  exitCode: z.number().int().min(0).max(255).default(0),
  outputBytes: z.number().int().min(0).max(64 * 1024 * 1024).default(0),
  priority: Priority.default('normal'),
  /** The ledger's own schema for an announce's labels, so a bad label is a 400 here, not a refused append. */
  labels: JobAnnounced.shape.labels.default([]),
  repo: z.string().min(1).max(128).default('synthetic'),
  group: z.strictObject({ name: z.string().min(1).max(256), cancelInProgress: z.boolean().default(false) }).optional(),
  retry: RetryPolicy.default({ max: 2, when: ['runner_lost'] }),
  timeoutMs: z.number().int().min(0).max(24 * 3600 * 1000).default(0),
  /** Announces this many identical jobs at once (a burst for load tests); they share one ledger write. */
  count: z.number().int().min(1).max(MAX_SYNTHETIC_BURST).default(1)
})
export type SyntheticJobRequest = z.infer<typeof SyntheticJobRequest>

export const JobParams = z.strictObject({ id: EventId })
export const CancelRequest = z.strictObject({ reason: z.string().max(256).optional() })
export const PriorityRequest = z.strictObject({ priority: Priority })
export const MemberRequest = z.strictObject({ peer: PeerIdString, role: Role.default('member') })
export const MemberParams = z.strictObject({ peer: PeerIdString })
export const JobsQuery = z.strictObject({
  status: z.enum(jobStatuses as [JobStatus, ...JobStatus[]]).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(200)
})
/** Body of `POST /v1/test/block` (test hooks only). */
export const BlockRequest = z.strictObject({ peers: z.array(PeerIdString).max(1024) })

/**
 * Fastify's schema compilers, replaced: routes here validate with zod (`parseRequest`), so ajv and
 * fast-json-stringify (some 200 modules, in memory for the node's life) need not load. A route
 * that declared a JSON schema would fail to register, naming the cause.
 */
export const noSchemaCompilers = {
  compilersFactory: {
    buildValidator: () => (): never => { throw new Error('routes validate with zod (parseRequest), not fastify JSON schemas') },
    buildSerializer: () => (): never => { throw new Error('routes answer plain JSON, not through fastify response schemas') }
  }
}
