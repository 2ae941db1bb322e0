/**
 * Answer schemas of the routes around the build itself: push webhook deliveries, provenance, the
 * doctor's view, and id resolution (the CLI's views answer its own schemas, cli-schemas.ts). The route table (api-routes.ts) names them.
 */
import { z } from 'zod'
import { Role } from '@devq/core'
import { JobStatusSchema } from './event-schemas.ts'
import { ShareKeptOutput, ShareOutput } from './cli-schemas-tools.ts'

const Delivery = z.strictObject({
  id: z.string(),
  forgeDelivery: z.string().optional(),
  receivedAt: z.number(),
  updatedAt: z.number(),
  forge: z.enum(['github', 'gitea', 'gitlab']).optional(),
  event: z.string().optional(),
  status: z.enum(['refused', 'ignored', 'queued', 'superseded', 'fetching', 'announced', 'failed']),
  answer: z.number().int(),
  detail: z.string().optional(),
  repository: z.string().optional(),
  ref: z.string().optional(),
  commit: z.string().optional(),
  run: z.string().optional(),
  jobs: z.array(z.string()).optional()
})

export const WebhookDeliveriesAnswer = z.strictObject({
  url: z.string().nullable(),
  queue: z.strictObject({ pending: z.number().int(), running: z.number().int() }),
  deliveries: z.array(Delivery)
})

const DsseEnvelope = z.strictObject({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.strictObject({ keyid: z.string(), sig: z.string() }))
})

export const ProvenanceAnswer = z.strictObject({
  job: z.string(),
  status: JobStatusSchema,
  source: z.string().optional(),
  events: z.strictObject({ announce: z.string(), started: z.string(), finish: z.string() }).optional(),
  valid: z.boolean(),
  problem: z.enum(['unsigned', 'bad_event', 'mismatch', 'bad_signature', 'no_result', 'missing_events']).optional(),
  detail: z.string().optional(),
  envelope: DsseEnvelope.optional(),
  runner: z.strictObject({ peer: z.string(), roles: z.array(Role), rolesNow: z.array(Role) }).optional()
})

export const DigestProvenanceAnswer = z.strictObject({ digest: z.string(), jobs: z.array(ProvenanceAnswer) })

export const DoctorAnswer = z.strictObject({
  sandbox: z.enum(['auto', 'on', 'off']),
  clocks: z.array(z.strictObject({ peer: z.string(), skewMs: z.number() }))
})

export const ResolveAnswer = z.strictObject({
  query: z.string(),
  matches: z.array(z.strictObject({
    kind: z.enum(['job', 'run']), id: z.string(), pipelineJob: z.string().optional(), repo: z.string(), ref: z.string(), status: z.string(), announcedAt: z.number()
  })),
  total: z.number().int()
})

/** `POST /v1/share`: the sharing view after the change, and whether the config file took the mode. */
export const ShareChangeAnswer = ShareOutput.extend({ kept: ShareKeptOutput })
