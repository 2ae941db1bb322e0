import type { FastifyInstance } from 'fastify'
import type { DevqNode } from './node.ts'
import { createNodeMetrics } from './metrics-node.ts'

/**
 * `GET /metrics`: the node's Prometheus text exposition (metrics.ts), behind the same Host, Origin
 * and token checks as every route. Counting starts when the API does and stops when it closes.
 */
export function metricsRoutes (app: FastifyInstance, node: DevqNode): void {
  const metrics = createNodeMetrics(node)
  app.addHook('onClose', async () => { metrics.close() })
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.scrape()
    return await reply.header('content-type', metrics.registry.contentType).send(text)
  })
}
