/**
 * One client of the event stream: its opening message and replay, the live events after them,
 * its log subscriptions and what it sends. Nothing here buffers without bound: a client whose
 * unsent messages pass `maxBuffered` bytes is dropped with close code CLOSE_TOO_SLOW.
 */
import type { WebSocket } from 'ws'
import { DevqError, type Logger } from '@devq/core'
import type { DevqNode } from './node.ts'
import type { EventHub } from './event-hub.ts'
import { ClientMessage, MAX_CLIENT_MESSAGE } from './event-schemas.ts'
import { parseRequest } from './api-schemas.ts'
import { pumpLog } from './event-logs.ts'
import { ApiRequestError } from './errors.ts'

/** Close code for a client that did not read fast enough (its unsent messages passed the bound). */
export const CLOSE_TOO_SLOW = 4000
/** Close code when the node stops. */
export const CLOSE_GOING_AWAY = 1001

/** Bounds of one connection. */
export interface ConnectionLimits {
  /** Unsent bytes (queued here and in the socket) past which the client is dropped. */
  maxBuffered: number
  /** Most log subscriptions at once. */
  maxSubscriptions: number
  /** Ping interval, ms: a client that has not answered the last ping by the next one is cut off. */
  pingMs: number
}

/** Bytes in the socket under which more is written at once. */
const HIGH_WATER = 256 * 1024

/** How long a dropped client gets to take its close frame before the socket is destroyed, in ms. */
const CLOSE_GRACE_MS = 2000

/** Where a reconnecting client left off: the stream and the last seq it applied. */
export interface Resume {
  since?: number
  stream?: string
}

/** What a connection needs. */
export interface ConnectionDeps {
  node: DevqNode
  hub: EventHub
  logger: Logger
  limits: ConnectionLimits
  /** Called once when the connection is over, with why (`too_slow` when it was dropped). */
  onEnd: (why: 'closed' | 'too_slow') => void
}

/** The opening message, and the events to replay after it. */
function opening (hub: EventHub, resume: Resume): { first: object, replay: string[] } {
  const seq = hub.seq()
  if (resume.since === undefined) return { first: { type: 'hello', stream: hub.stream, seq }, replay: [] }
  if (resume.stream !== hub.stream) return { first: { type: 'resync.required', stream: hub.stream, seq, reason: 'other_stream' }, replay: [] }
  const replay = hub.after(resume.since)
  if (replay === undefined) return { first: { type: 'resync.required', stream: hub.stream, seq, reason: 'too_old' }, replay: [] }
  return { first: { type: 'hello', stream: hub.stream, seq }, replay }
}

function errorMessage (err: unknown): object {
  if (err instanceof DevqError) {
    const { name, code, message, data } = err.toJSON() as { name: string, code: string, message: string, data: Record<string, unknown> }
    return { type: 'error', error: { name, code, message, data } }
  }
  return { type: 'error', error: { name: 'ApiInternalError', code: 'ApiInternalError', message: 'internal error in the devq-node; its log has the details', data: {} } }
}

/**
 * What goes out on one socket: the replay, then live frames, written while the socket holds less
 * than HIGH_WATER. `push` refuses (returns false) once the unsent bytes would pass `maxBuffered`.
 */
interface Outbox {
  push(frame: string): boolean
  /** Sends a message when the socket has room; resolves once it was written (or the outbox closed). */
  send(message: object): Promise<void>
  close(): void
}

function createOutbox (ws: WebSocket, replay: readonly string[], maxBuffered: number): Outbox {
  let replayAt = 0
  const live: string[] = []
  let liveBytes = 0
  let closed = false
  const waiting: (() => void)[] = []
  const afterWrite = (): void => {
    pump()
    if (ws.bufferedAmount < HIGH_WATER) for (const wake of waiting.splice(0)) wake()
  }
  const pump = (): void => {
    while (!closed && ws.bufferedAmount < HIGH_WATER) {
      let frame: string | undefined
      if (replayAt < replay.length) {
        frame = replay[replayAt++]!
      } else {
        frame = live.shift()
        if (frame === undefined) return
        liveBytes -= frame.length
      }
      ws.send(frame, afterWrite)
    }
  }
  pump()
  return {
    push (frame) {
      if (liveBytes + frame.length + ws.bufferedAmount > maxBuffered) return false
      live.push(frame)
      liveBytes += frame.length
      pump()
      return true
    },
    async send (message) {
      while (!closed && ws.bufferedAmount >= HIGH_WATER) await new Promise<void>((resolve) => { waiting.push(resolve) })
      if (closed) return
      await new Promise<void>((resolve) => { ws.send(JSON.stringify(message), () => { afterWrite(); resolve() }) })
    },
    close () {
      closed = true
      live.length = 0
      liveBytes = 0
      for (const wake of waiting.splice(0)) wake()
    }
  }
}

/** Pings every `ms`; a client that has not answered the last ping by the next one is cut off. */
function keepAlive (ws: WebSocket, ms: number): NodeJS.Timeout {
  let alive = true
  ws.on('pong', () => { alive = true })
  const timer = setInterval(() => {
    if (!alive) {
      ws.terminate()
      return
    }
    alive = false
    ws.ping()
  }, ms)
  timer.unref()
  return timer
}

/** Serves the stream on `ws` (just upgraded). Returns a function that ends it as the node stops. */
export function serveConnection (ws: WebSocket, d: ConnectionDeps, resume: Resume): () => void {
  const { first, replay } = opening(d.hub, resume)
  const subscriptions = new Map<string, AbortController>()
  const pinger = keepAlive(ws, d.limits.pingMs)
  let over = false
  let off = (): void => {}
  const end = (why: 'closed' | 'too_slow', code?: number, reason?: string): void => {
    if (over) return
    over = true
    off()
    clearInterval(pinger)
    for (const s of subscriptions.values()) s.abort()
    outbox.close()
    if (code !== undefined) {
      ws.close(code, reason)
      setTimeout(() => { ws.terminate() }, CLOSE_GRACE_MS).unref()
    }
    d.onEnd(why)
  }
  ws.send(JSON.stringify(first))
  // The replay is taken and the listener added in one synchronous step: no event falls in between.
  const outbox = createOutbox(ws, replay, d.limits.maxBuffered)
  off = d.hub.listen((_event, frame) => {
    if (!outbox.push(frame)) end('too_slow', CLOSE_TOO_SLOW, `too slow: more than ${d.limits.maxBuffered} bytes unread`)
  })
  ws.on('message', (data, isBinary) => { onMessage(d, { send: outbox.send, subscriptions }, data as Buffer, isBinary) })
  ws.on('close', () => { end('closed') })
  ws.on('error', (err) => { d.logger.debug({ err }, 'event stream socket failed') })
  return () => { end('closed', CLOSE_GOING_AWAY, 'the devq-node is stopping') }
}

interface Client {
  send: (message: object) => Promise<void>
  subscriptions: Map<string, AbortController>
}

/** A message from the client: checked, then a subscription started or stopped; a bad one is answered with an error. */
function onMessage (d: ConnectionDeps, c: Client, data: Buffer, isBinary: boolean): void {
  try {
    if (isBinary) throw new ApiRequestError('messages are JSON text, not binary', { status: 400, detail: 'message' })
    if (data.length > MAX_CLIENT_MESSAGE) throw new ApiRequestError(`a message may have at most ${MAX_CLIENT_MESSAGE} bytes, this one has ${data.length}`, { status: 413, detail: 'message' })
    let json: unknown
    try {
      json = JSON.parse(data.toString('utf8'))
    } catch {
      throw new ApiRequestError('a message must be JSON', { status: 400, detail: 'message' })
    }
    const msg = parseRequest(ClientMessage, json, 'message')
    if ('unsubscribe' in msg) {
      c.subscriptions.get(msg.unsubscribe.logs)?.abort()
      c.subscriptions.delete(msg.unsubscribe.logs)
      return
    }
    subscribe(d, c, msg.subscribe.logs, msg.subscribe.attempt, msg.subscribe.from ?? 0)
  } catch (err) {
    void c.send(errorMessage(err))
  }
}

function subscribe (d: ConnectionDeps, c: Client, job: string, attempt: number | undefined, from: number): void {
  if (c.subscriptions.has(job)) throw new ApiRequestError(`already following the log of ${job}`, { status: 409, detail: 'subscribed' })
  if (c.subscriptions.size >= d.limits.maxSubscriptions) throw new ApiRequestError(`at most ${d.limits.maxSubscriptions} logs at once: unsubscribe one first`, { status: 429, detail: 'subscriptions' })
  const controller = new AbortController()
  c.subscriptions.set(job, controller)
  pumpLog({ node: d.node, hub: d.hub, send: c.send, signal: controller.signal }, job, attempt, from).catch(async (err: unknown) => {
    if (!(err instanceof DevqError)) d.logger.error({ err, job_id: job }, 'log subscription failed')
    await c.send(errorMessage(err))
  }).finally(() => {
    if (c.subscriptions.get(job) === controller) c.subscriptions.delete(job)
  })
}
