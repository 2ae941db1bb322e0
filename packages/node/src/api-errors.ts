/**
 * How the control API answers errors: a refused request as `{name, code, message, data, retryable}`
 * with the 4xx (502 for another peer's failure, 503 while this peer waits for its own chain) status it maps to; anything unexpected as a
 * generic 500 that names a request id, while the error itself goes to this node's log. A client
 * never sees an internal message, path or stack.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DevqError, type Logger } from '@devq/core'
import { ApiInternalError, ApiRequestError } from './errors.ts'

/** Errors of other peers (or of the stream to them) while serving a request: the gateway failed. */
const REMOTE_FAILURES = new Set(['ArtifactError', 'LogError', 'RemoteError', 'StreamError', 'StreamStalledError', 'ProtocolError'])

/** The status a DevqError maps to, or undefined when it is not one a client should see. */
export function statusOf (err: DevqError<object>): number | undefined {
  const data = err.data as { reason?: unknown }
  // This peer's own event was refused by its own ledger: in a strict team, it is not a member yet.
  if (err.name === 'LedgerAppendError' && data.reason === 'not_member') return 403
  // After a rebuild the peer waits for sync to bring its own chain back: try again later.
  if (err.name === 'LedgerAppendError' && data.reason === 'own_chain_missing') return 503
  if (err.name === 'RunError') return 400
  // Raised only where answers are checked against the route table (tests): show it as it is.
  if (err.name === 'ApiResponseError') return 500
  if (REMOTE_FAILURES.has(err.name)) return 502
  return undefined
}

/** A 4xx that fastify itself raised while reading the request (bad JSON, body too large, wrong type). */
function requestFault (err: Error & { statusCode?: unknown, code?: unknown }): ApiRequestError | undefined {
  const status = err.statusCode
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined
  return new ApiRequestError(err.message, { status, detail: typeof err.code === 'string' ? err.code : 'bad request' })
}

/** Sets the API's error and not-found handlers; `logger` gets every unexpected error with its request id. */
export function answerErrors (app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler(async (err: Error, req: FastifyRequest, reply: FastifyReply) => {
    // A route that failed after choosing a text answer (a log) still answers its error as JSON.
    reply.removeHeader('content-type')
    if (err instanceof ApiRequestError) return await reply.code(err.data.status).send(err.toJSON())
    const status = err instanceof DevqError ? statusOf(err) : undefined
    if (status !== undefined) return await reply.code(status).send((err as DevqError<object>).toJSON())
    const fault = requestFault(err)
    if (fault !== undefined) return await reply.code(fault.data.status).send(fault.toJSON())
    logger.error({ err, requestId: req.id, method: req.method, url: req.url }, 'control API request failed')
    const hidden = new ApiInternalError(`internal error in the devq-node; its log has the details under request id ${req.id}`, { requestId: req.id })
    return await reply.code(500).send(hidden.toJSON())
  })
  app.setNotFoundHandler(async (req, reply) => {
    const err = new ApiRequestError(`no route ${req.method} ${req.url.split('?')[0] ?? ''}`, { status: 404, detail: 'no route' })
    return await reply.code(404).send(err.toJSON())
  })
}
