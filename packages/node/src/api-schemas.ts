import { z } from 'zod'
import { EventId, jobStatuses, PeerIdString, Priority, RetryPolicy, Role, type JobStatus } from '@devq/core'

/** Most synthetic jobs one submit may announce. */
export const MAX_SYNTHETIC_BURST = 1000

/** Body of `POST /v1/jobs/synthetic`. */
export const SyntheticJobRequest = z.strictObject({
  durationMs: z.number().int().min(0).max(24 * 3600 * 1000),
  exitCode: z.number().int().min(0).max(255).default(0),
  outputBytes: z.number().int().min(0).max(64 * 1024 * 1024).default(0),
  priority: Priority.default('normal'),
  labels: z.array(z.string().min(1).max(64)).max(32).default([]),
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
