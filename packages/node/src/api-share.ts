/**
 * Control API routes for how this peer is lent: its share mode (`devq share`) and the user activity
 * the desktop app reports. A change takes effect at once: the next scheduler pass bids (or not) by
 * it, and a heartbeat with it goes out right away.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { ShareMode } from '@devq/core'
import type { DevqNode } from './node.ts'
import { parseRequest } from './api-schemas.ts'

/** Body of `POST /v1/share`. */
export const ShareRequest = z.strictObject({ mode: ShareMode })
/** Body of `POST /v1/activity`: seconds since the system last had input (at most ten years). */
export const ActivityReport = z.strictObject({ idleSeconds: z.number().min(0).max(10 * 365 * 86_400) })

/** `GET /v1/share`, `POST /v1/share {mode}`, `POST /v1/activity {idleSeconds}`; each answers the sharing view. */
export function shareRoutes (app: FastifyInstance, node: DevqNode): void {
  app.get('/v1/share', async () => node.sharing.view())
  app.post('/v1/share', async (req) => {
    node.sharing.setMode(parseRequest(ShareRequest, req.body, 'body').mode)
    return node.sharing.view()
  })
  app.post('/v1/activity', async (req) => {
    node.sharing.reportActivity(parseRequest(ActivityReport, req.body, 'body').idleSeconds)
    return node.sharing.view()
  })
}
