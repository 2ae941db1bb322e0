/**
 * The control API's event stream: `POST /v1/events/ticket` (authenticated like every route) hands
 * out a one-time ticket, `GET /v1/events?ticket=` upgrades to a WebSocket that carries the node's
 * state events (event-hub.ts, event-feed.ts) and subscribed logs (event-logs.ts), and
 * `GET /v1/events/stats` tells how the stream stands. Over the unix socket no ticket is needed.
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import { z } from 'zod'
import type { Logger } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ApiRequestError } from './errors.ts'
import { parseRequest } from './api-schemas.ts'
import { createEventHub, type EventHub } from './event-hub.ts'
import { startEventFeed } from './event-feed.ts'
import { createTicketStore } from './event-tickets.ts'
import { serveConnection, type ConnectionLimits } from './event-connection.ts'

/** Most stream clients at once. */
export const MAX_STREAM_CLIENTS = 64
/** Largest WebSocket message read at all, in bytes (past it the socket closes with 1009); the app's own cap is MAX_CLIENT_MESSAGE. */
const MAX_FRAME = 16 * 1024

/** The bounds of every connection. */
export const STREAM_LIMITS: ConnectionLimits = { maxBuffered: 1024 * 1024, maxSubscriptions: 8, pingMs: 30_000 }

/** Response header of every API answer: the stream seq the answer's state includes at least (see the README). */
export const SEQ_HEADER = 'devq-event-seq'

/** Query of `GET /v1/events`. */
export const EventsQuery = z.strictObject({
  ticket: z.string().regex(/^[0-9a-f]{64}$/, 'a ticket from POST /v1/events/ticket').optional(),
  since: z.coerce.number().int().min(0).optional(),
  stream: z.string().regex(/^[0-9a-f]{16}$/).optional()
})

/** What the stream routes need. */
export interface EventRoutesDeps {
  node: DevqNode
  logger: Logger
  viaSocket: (req: IncomingMessage) => boolean
}

/** Counters of the stream, for its stats route and metrics. */
interface Counters { clients: Set<() => void>, dropped: number }

function admit (deps: EventRoutesDeps, tickets: ReturnType<typeof createTicketStore>, counters: Counters) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const q = parseRequest(EventsQuery, req.query, 'query')
    if (!req.ws) throw new ApiRequestError('GET /v1/events is a WebSocket: open it with an Upgrade request', { status: 426, detail: 'upgrade' })
    if (counters.clients.size >= MAX_STREAM_CLIENTS) throw new ApiRequestError(`the event stream has its ${MAX_STREAM_CLIENTS} clients already`, { status: 503, detail: 'too many clients' })
    if (deps.viaSocket(req.raw)) return
    if (q.ticket === undefined || !tickets.redeem(q.ticket)) {
      const err = new ApiRequestError(q.ticket === undefined ? 'the event stream needs ?ticket= from POST /v1/events/ticket' : 'the ticket is unknown, spent or expired: take a new one from POST /v1/events/ticket', { status: 401, detail: 'ticket' })
      await reply.code(401).send(err.toJSON())
    }
  }
}

/** Registers the stream's routes and starts its feed; both end when `app` closes. */
export async function eventRoutes (app: FastifyInstance, deps: EventRoutesDeps): Promise<EventHub> {
  const hub = createEventHub()
  const feed = startEventFeed(deps.node, hub)
  const tickets = createTicketStore()
  const counters: Counters = { clients: new Set(), dropped: 0 }
  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_FRAME, perMessageDeflate: false },
    preClose (done) {
      for (const end of [...counters.clients]) end()
      done()
    }
  })
  app.addHook('onRequest', async (_req, reply) => { void reply.header(SEQ_HEADER, String(hub.seq())) })
  // A refused upgrade ends its connection (@fastify/websocket destroys the socket): say so, or a
  // keep-alive client would send its next request into a closed socket.
  app.addHook('onSend', async (req, reply) => { if (req.ws) void reply.header('connection', 'close') })
  app.addHook('onClose', async () => { feed.close() })
  app.post('/v1/events/ticket', async (_req, reply) => await reply.code(201).send(tickets.issue()))
  app.get('/v1/events/stats', async () => ({ ...hub.stats(), clients: counters.clients.size, dropped: { tooSlow: counters.dropped } }))
  app.route({
    method: 'GET',
    url: '/v1/events',
    config: { auth: 'ticket' },
    onRequest: admit(deps, tickets, counters),
    handler: async () => { throw new ApiRequestError('GET /v1/events is a WebSocket', { status: 426, detail: 'upgrade' }) },
    wsHandler: (socket, req) => {
      const q = parseRequest(EventsQuery, req.query, 'query')
      const end = serveConnection(socket, {
        node: deps.node, hub, logger: deps.logger, limits: STREAM_LIMITS,
        onEnd: (why) => {
          counters.clients.delete(end)
          if (why === 'too_slow') counters.dropped++
        }
      }, q)
      counters.clients.add(end)
    }
  })
  return hub
}
