/**
 * The push webhook's HTTP side: its own fastify instance (apart from the loopback control API, so
 * it may listen on a LAN address) that serves one route, `POST /hooks/push`. The body is read as
 * raw bytes up to MAX_WEBHOOK_BODY, the signature checked over exactly those bytes, and only then
 * is it parsed. Answers: 202 queued, 204 ignored (ping, tag push, deletion, other events), 400 a
 * payload without what a push needs, 401 no or a wrong signature, 413 too large, 503 the queue is
 * full; errors in the `{name, code, message, data, retryable}` shape of WebhookError.
 */
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from '@devq/core'
import { WebhookError } from './errors.ts'
import { redactUrl } from './forge-url.ts'
import type { Delivery, DeliveryLog, NewDelivery } from './webhook-deliveries.ts'
import { readPush, type Push } from './webhook-payload.ts'
import { headerOf, senderOf, verifyDelivery, type WebhookHeaders } from './webhook-signature.ts'

/** Largest delivery body read, in bytes (a push of many commits stays well under it). */
export const MAX_WEBHOOK_BODY = 1024 * 1024
/** Most connections the webhook holds open at once. */
const MAX_CONNECTIONS = 128
/** A request must have arrived whole within this long (ms). */
const REQUEST_TIMEOUT_MS = 30_000

/** What the webhook needs from the node. */
export interface WebhookServerComponents {
  deliveries: DeliveryLog
  /** Queues a verified push recorded as `delivery`; false when the queue is full. */
  enqueue(push: Push, delivery: Delivery): boolean
  logger: Logger
}

export interface WebhookServerInit {
  host: string
  /** 0 picks a free port. */
  port: number
  /** The shared secret the forge signs with (or, for GitLab, sends). */
  secret: Uint8Array
}

interface Answer {
  status: number
  body?: object
  headers?: Record<string, string>
}

/** The forge's own id of a delivery, when it sent a sane one. */
function forgeDeliveryOf (headers: WebhookHeaders): string | undefined {
  const id = headerOf(headers, 'x-github-delivery') ?? headerOf(headers, 'x-gitea-delivery') ?? headerOf(headers, 'x-gitlab-event-uuid')
  return id !== undefined && /^[\w.-]{1,128}$/.test(id) ? id : undefined
}

/** `text` as a header value can carry it: printable ASCII, capped. */
function headerSafe (text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)
}

function refuse (deliveries: DeliveryLog, base: Partial<NewDelivery>, err: WebhookError): Answer {
  deliveries.add({ ...base, status: 'refused', answer: err.data.status, detail: err.message })
  return { status: err.data.status, body: err.toJSON() }
}

function baseOf (headers: WebhookHeaders): Partial<NewDelivery> {
  const sender = senderOf(headers)
  const forgeDelivery = forgeDeliveryOf(headers)
  return { ...(sender === undefined ? {} : { forge: sender.forge, event: sender.event }), ...(forgeDelivery === undefined ? {} : { forgeDelivery }) }
}

function queue (c: WebhookServerComponents, base: Partial<NewDelivery>, push: Push): Answer {
  const delivery = c.deliveries.add({ ...base, status: 'queued', answer: 202, repository: redactUrl(push.url), ref: push.ref, commit: push.commit })
  if (!c.enqueue(push, delivery)) {
    const err = new WebhookError('too many pushes wait to be fetched; deliver this one again later', { status: 503, detail: 'busy' }, { retryable: true })
    c.deliveries.update(delivery.id, { status: 'refused', answer: 503, detail: err.message })
    return { status: 503, body: err.toJSON(), headers: { 'retry-after': '60' } }
  }
  return { status: 202, body: { delivery: delivery.id, status: 'queued', repository: delivery.repository, ref: push.ref, commit: push.commit } }
}

/** Decides a delivery: who sent it, whether it is signed with the secret, what it asks for. */
function receive (c: WebhookServerComponents, init: WebhookServerInit, req: FastifyRequest): Answer {
  const base = baseOf(req.headers)
  const sender = senderOf(req.headers)
  if (sender === undefined) {
    return refuse(c.deliveries, base, new WebhookError('no X-GitHub-Event, X-Gitea-Event or X-Gitlab-Event header: this route takes push webhooks of GitHub, Gitea, Forgejo and GitLab', { status: 400, detail: 'event' }))
  }
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
  const verdict = verifyDelivery(sender.forge, req.headers, body, init.secret)
  if (verdict !== true) return refuse(c.deliveries, base, new WebhookError(verdict, { status: 401, detail: 'signature' }))
  const reading = readPush(sender, headerOf(req.headers, 'content-type'), body)
  if (reading.kind === 'ignored') {
    c.deliveries.add({ ...base, status: 'ignored', answer: 204, detail: reading.reason })
    return { status: 204, headers: { 'x-devq-ignored': headerSafe(reading.reason) } }
  }
  if (reading.kind === 'bad') {
    return refuse(c.deliveries, base, new WebhookError(reading.message, { status: 400, detail: 'payload', ...(reading.field === undefined ? {} : { field: reading.field }) }))
  }
  return queue(c, base, reading.push)
}

async function send (reply: FastifyReply, answer: Answer): Promise<FastifyReply> {
  void reply.code(answer.status).headers(answer.headers ?? {})
  return answer.body === undefined ? await reply.send() : await reply.send(answer.body)
}

function answerErrors (app: FastifyInstance, c: WebhookServerComponents): void {
  app.setErrorHandler(async (err: Error & { statusCode?: number, code?: string }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return await send(reply, refuse(c.deliveries, baseOf(req.headers), new WebhookError(`the body is larger than ${MAX_WEBHOOK_BODY} bytes`, { status: 413, detail: 'too_large' })))
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return await send(reply, refuse(c.deliveries, baseOf(req.headers), new WebhookError(err.message, { status: 400, detail: 'payload' })))
    }
    c.logger.error({ err, requestId: req.id }, 'webhook request failed')
    return await send(reply, { status: 500, body: new WebhookError(`internal error in the devq-node; its log has the details under request id ${req.id}`, { status: 500, detail: 'internal' }).toJSON() })
  })
  app.setNotFoundHandler(async (req, reply) => {
    const err = new WebhookError(`no route ${req.method} ${req.url.split('?')[0] ?? ''}: this port serves only POST /hooks/push`, { status: 404, detail: 'no_route' })
    return await send(reply, { status: 404, body: err.toJSON() })
  })
}

/** Starts the webhook listener; the caller closes the app. */
export async function startWebhookServer (c: WebhookServerComponents, init: WebhookServerInit): Promise<{ app: FastifyInstance, url: string }> {
  const app = Fastify({ bodyLimit: MAX_WEBHOOK_BODY, logger: false, requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: REQUEST_TIMEOUT_MS, genReqId: () => randomBytes(8).toString('hex') })
  // Raw bytes for every content type: the signature covers exactly what arrived.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })
  answerErrors(app, c)
  app.post('/hooks/push', async (req, reply) => await send(reply, receive(c, init, req)))
  app.server.maxConnections = MAX_CONNECTIONS
  await app.listen({ host: init.host, port: init.port })
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : init.port
  return { app, url: `http://${init.host.includes(':') ? `[${init.host}]` : init.host}:${port}/hooks/push` }
}
