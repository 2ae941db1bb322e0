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
import { NO_CONFIG_FILE, type ShareKeeper } from './share-keeper.ts'

/** Body of `POST /v1/share`. */
export const ShareRequest = z.strictObject({ mode: ShareMode })
/** Body of `POST /v1/activity`: seconds since the system last had input (at most ten years). */
export const ActivityReport = z.strictObject({ idleSeconds: z.number().min(0).max(10 * 365 * 86_400) })

/**
 * `GET /v1/share`, `POST /v1/share {mode}`, `POST /v1/activity {idleSeconds}`; each answers the
 * sharing view. The POST of a mode answers once `keeper` has written it to the config file, with
 * `kept` saying whether it could.
 */
export function shareRoutes (app: FastifyInstance, node: DevqNode, keeper: ShareKeeper | undefined): void {
  app.get('/v1/share', async () => node.sharing.view())
  app.post('/v1/share', async (req) => {
    const { mode } = parseRequest(ShareRequest, req.body, 'body')
    if (keeper === undefined) node.sharing.setMode(mode)
    const kept = keeper === undefined ? { error: NO_CONFIG_FILE } : await keeper.change(mode)
    return { ...node.sharing.view(), kept }
  })
  app.post('/v1/activity', async (req) => {
    node.sharing.reportActivity(parseRequest(ActivityReport, req.body, 'body').idleSeconds)
    return node.sharing.view()
  })
}
