import type { FastifyInstance } from 'fastify'
import type { Delivery } from './webhook-deliveries.ts'

/** What the control API shows of the push webhook. */
export interface WebhookView {
  readonly url: string
  readonly deliveries: { list(): Delivery[] }
  queued(): { pending: number, running: number }
}

/**
 * `GET /v1/webhook/deliveries`: where the webhook listens, its queue, and its last deliveries,
 * newest first (with the webhook off: `url` null and no deliveries).
 */
export function webhookRoutes (app: FastifyInstance, webhook: WebhookView | undefined): void {
  app.get('/v1/webhook/deliveries', async () => ({
    url: webhook?.url ?? null,
    queue: webhook?.queued() ?? { pending: 0, running: 0 },
    deliveries: webhook?.deliveries.list() ?? []
  }))
}
