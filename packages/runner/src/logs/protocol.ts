/**
 * The `logs` protocol: one log read per direct stream, live or after the job.
 *
 *   client -> server   {job, attempt, from, follow}                 (one frame, <= LOGS_MAX_REQUEST_BYTES)
 *   server -> client   {ok:true, bytes, closed} then raw log bytes, or {ok:false, error}
 *
 * `bytes` and `closed` are the log's state when the server answered. Without `follow`, the server
 * sends exactly the stored bytes from `from` to `bytes`, then ends. With `follow`, it sends the
 * stored bytes from `from` and then new ones as they are written, and ends when the writer closes.
 * The client keeps its side open while it reads: ending or aborting it stops the server, which
 * then stops reading the log. Refusals (`mayRead`) answer LogError `refused` with the reason.
 * A client that lost a stream resumes with `from` set to the bytes it already has.
 */
import { z } from 'zod'
import type { ByteStream, Logger } from '@devq/core'
import { checkLogId, MAX_ATTEMPT, type LogStore } from './store.ts'
import { LogError, ProtocolError } from '../errors.ts'
import { answerError, beforeDeadline, FrameReader, noteRefusedFrame, withIdleTimeout, writeFrame, type RefusedFrame } from '../wire.ts'

/** Protocol name, for errors and for the mesh's protocol id. */
export const LOGS_PROTOCOL = 'logs'

/** Largest request frame, in bytes. */
export const LOGS_MAX_REQUEST_BYTES = 1024

/** How long a server waits for the request, and a client for the header or (without follow) for any byte, in ms. */
export const LOGS_IDLE_MS = 30_000

const Request = z.strictObject({
  job: z.string().regex(/^[0-9a-f]{64}$/),
  attempt: z.number().int().min(1).max(MAX_ATTEMPT),
  from: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  follow: z.boolean()
})
type Request = z.infer<typeof Request>

const Header = z.object({
  ok: z.literal(true),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  closed: z.boolean()
})

/** What the server needs. */
export interface LogServerInit {
  store: LogStore
  /** Whether `peer` may read `job`'s logs: true, or false / a reason for refusing. Must not block. */
  mayRead: (peer: string, job: string) => boolean | string
  logger: Logger
  refusedFrame?: RefusedFrame
  /** Overrides LOGS_IDLE_MS for the request. */
  requestTimeoutMs?: number
}

function verdictOf (init: LogServerInit, peer: string, job: string): true | string {
  try {
    const verdict = init.mayRead(peer, job)
    if (verdict === true) return true
    return verdict === false ? 'not allowed to read this job\'s logs' : String(verdict).slice(0, 500)
  } catch {
    return 'the permission check failed'
  }
}

/** Sends the log bytes the request asks for; stops when `signal` aborts (the client went away). */
async function sendLog (init: LogServerInit, stream: ByteStream, req: Request, bytes: number, signal: AbortSignal): Promise<void> {
  if (req.follow) {
    for await (const chunk of init.store.follow(req.job, req.attempt, req.from, signal)) await stream.write(chunk)
    return
  }
  let left = Math.max(0, bytes - req.from)
  if (left === 0) return
  for await (const chunk of init.store.read(req.job, req.attempt, req.from)) {
    const piece = chunk.subarray(0, left)
    await stream.write(piece)
    left -= piece.length
    if (left === 0 || signal.aborted) return
  }
}

/**
 * The server side of `logs`: `(stream, peer) => Promise<void>`, one request per stream. Never
 * throws: bad or refused requests get an error answer, broken streams are aborted. Concurrent
 * streams are independent; each costs one file handle and one chunk in flight, with backpressure.
 */
export function createLogServer (init: LogServerInit): (stream: ByteStream, peer: string) => Promise<void> {
  const log = init.logger.child({ component: 'logs' })
  const requestMs = init.requestTimeoutMs ?? LOGS_IDLE_MS
  return async (stream, peer) => {
    const reader = new FrameReader(stream.source, LOGS_PROTOCOL)
    let req: Request
    try {
      req = await beforeDeadline(reader.frame(Request, LOGS_MAX_REQUEST_BYTES), requestMs,
        () => new ProtocolError(`${LOGS_PROTOCOL}: no request within ${requestMs} ms`, { protocol: LOGS_PROTOCOL, detail: 'no request' }))
    } catch (err) {
      log.warn({ peer, err: err instanceof Error ? err.message : String(err) }, 'bad log request')
      noteRefusedFrame(err, init.refusedFrame)
      await answerError(stream, err)
      return
    }
    const verdict = verdictOf(init, peer, req.job)
    if (verdict !== true) {
      log.info({ peer, job_id: req.job, attempt: req.attempt, reason: verdict }, 'log read refused')
      await answerError(stream, new LogError(`log ${req.job}/${req.attempt}: refused: ${verdict}`, { job: req.job, attempt: req.attempt, reason: 'refused', detail: verdict }))
      return
    }
    const info = await init.store.info(req.job, req.attempt).catch((err: unknown) => err as Error)
    if (info instanceof Error) {
      await answerError(stream, info)
      return
    }
    const gone = new AbortController()
    // The client sends nothing after its request: its end, an abort or any byte means it is done.
    void reader.rest().next().then(() => { gone.abort() }, () => { gone.abort() })
    try {
      await writeFrame(stream, { ok: true, bytes: info.bytes, closed: info.closed })
      await sendLog(init, stream, req, info.bytes, gone.signal)
      if (gone.signal.aborted) stream.abort(new Error('the client went away'))
      else await stream.end()
    } catch (err) {
      log.debug({ peer, job_id: req.job, attempt: req.attempt, err: err instanceof Error ? err.message : String(err) }, 'log stream ended early')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      gone.abort()
    }
  }
}

/** What `fetchLog` needs. */
export interface FetchLogInit {
  dial: () => Promise<ByteStream>
  job: string
  attempt: number
  /** First byte wanted (to resume, the bytes already had). Default 0. */
  from?: number
  /** Keep reading until the writer closes. Default false. */
  follow?: boolean
  /** Stops the fetch (at any point, even before it starts); the promise then resolves with what was received. */
  signal?: AbortSignal
  /** Called with each chunk in order, awaited before the next is read (backpressure). */
  onChunk: (chunk: Uint8Array) => void | Promise<void>
  /** Overrides LOGS_IDLE_MS. */
  idleMs?: number
}

/**
 * Reads a log from a peer over one stream. Resolves with the bytes handed to `onChunk` and whether
 * the log is known to be closed (after a follow that ran to its end, or per the server's answer).
 * Rejects with RemoteError (the server's LogError, e.g. `refused` or `not_found`), LogError `short`
 * (a read that ended early; resume from `from + bytes`), ProtocolError or StreamStalledError.
 */
export async function fetchLog (init: FetchLogInit): Promise<{ bytes: number, closed: boolean }> {
  const { job, attempt, from = 0, follow = false, signal } = init
  checkLogId(job, attempt, from)
  const idleMs = init.idleMs ?? LOGS_IDLE_MS
  // A function, not a narrowed property: the signal may abort during any await below.
  const stopped = (): boolean => signal?.aborted === true
  if (stopped()) return { bytes: 0, closed: false }
  const stream = await init.dial()
  const onAbort = (): void => { stream.abort(new Error('log fetch stopped')) }
  if (stopped()) {
    onAbort()
    return { bytes: 0, closed: false }
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  let bytes = 0
  let closed = false
  try {
    await writeFrame(stream, { job, attempt, from, follow })
    const reader = new FrameReader(follow ? stream.source : withIdleTimeout(stream.source, idleMs, LOGS_PROTOCOL), LOGS_PROTOCOL)
    const header = await beforeDeadline(reader.answer(Header), idleMs,
      () => new ProtocolError(`${LOGS_PROTOCOL}: no answer within ${idleMs} ms`, { protocol: LOGS_PROTOCOL, detail: 'no answer' }))
    closed = header.closed
    for await (const chunk of reader.rest()) {
      bytes += chunk.length
      await init.onChunk(chunk)
    }
    const expected = Math.max(0, header.bytes - from)
    if (!follow && bytes > expected) throw new ProtocolError(`${LOGS_PROTOCOL}: got ${bytes} bytes, ${expected} announced`, { protocol: LOGS_PROTOCOL, detail: 'more bytes than announced' })
    if (!follow && bytes < expected) {
      throw new LogError(`log ${job}/${attempt}: got ${bytes} of ${expected} bytes`, { job, attempt, reason: 'short', detail: `got ${bytes} of ${expected} bytes` })
    }
    await stream.end().catch(() => {})
    return { bytes, closed: follow || closed }
  } catch (err) {
    if (stopped()) return { bytes, closed }
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
