/**
 * The sync protocol (`/devq/<team>/sync/1.0.0`), one round per stream, varint length-prefixed frames:
 *
 *   dialer   -> listener   {"vv":{author: seq}, "faulty":{author: fork seq}, "tips":{author: head id prefix}}  (<= SYNC_MAX_REQUEST_BYTES)
 *   listener -> dialer     {"n":count}, then `count` frames of one encoded event each (<= 64 KiB)
 *
 * The listener answers with `ledger.missingFor(vv, {500 events, 2 MiB}, {faulty, tips})`, which adds
 * the evidence of every equivocation the dialer's `faulty` map lacks, and the chain of an author
 * whose tip differs from its own (a fork the dialer holds the other side of), and closes. The dialer
 * hands everything to `ledger.ingest`, which decides what is new and valid; it asks again while the
 * answer was full. Either side gives up after SYNC_TIMEOUT_MS.
 */
import { lpStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import { canonicalBytes, MAX_EVENT_BYTES, type Clock, type Logger, type Rejection } from '@devq/core'
import {
  SYNC_MAX_ANSWER_BYTES, SYNC_MAX_ANSWER_FRAME_BYTES, SYNC_MAX_BYTES, SYNC_MAX_EVENTS, SYNC_MAX_REQUEST_BYTES,
  SYNC_MAX_VECTOR_ENTRIES, SYNC_TIMEOUT_MS
} from './limits.ts'
import { ProtocolViolation } from './errors.ts'
import type { RateLimiter } from './rate-limit.ts'
import { bump, type MeshStats } from './stats.ts'
import type { MeshLedger } from './types.ts'

/** Errors that mean the other side broke the framing or the protocol (the rest are transport and timeouts). */
const VIOLATIONS = new Set(['ProtocolViolation', 'InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError'])

/** Whether `err` is the other side's fault. */
export function isViolation (err: unknown): boolean {
  return err instanceof Error && VIOLATIONS.has(err.name)
}

function parseJson (bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
  } catch {
    return undefined
  }
}

/** A map of author -> seq from the network: an object of at most SYNC_MAX_VECTOR_ENTRIES keys; values are checked by `missingFor`. */
function isVector (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length <= SYNC_MAX_VECTOR_ENTRIES
}

/** A sync request: the dialer's version vector, the authors it knows as faulty, and its chain tips. */
export interface SyncRequest {
  vv: Record<string, unknown>
  faulty: Record<string, unknown>
  tips: Record<string, unknown>
}

/** The request, or undefined if the bytes are not one. */
export function parseRequest (bytes: Uint8Array): SyncRequest | undefined {
  const value = parseJson(bytes)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const { vv, faulty = {}, tips = {}, ...rest } = value as Record<string, unknown>
  if (Object.keys(rest).length > 0 || !isVector(vv) || !isVector(faulty) || !isVector(tips)) return undefined
  return { vv, faulty, tips }
}

/** The event count of an answer header, or undefined if the header is not one. */
export function parseHeader (bytes: Uint8Array): number | undefined {
  const value = parseJson(bytes) as { n?: unknown } | undefined
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 1) return undefined
  const n = value.n
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= SYNC_MAX_EVENTS ? n : undefined
}

/** What the listener side needs. */
export interface SyncServerDeps {
  ledger: MeshLedger
  stats: MeshStats
  rate: RateLimiter
  clock: Clock
  logger: Logger
  isMember?: (peerId: string) => boolean
}

function refuse (deps: SyncServerDeps, stream: Stream, reason: string): void {
  deps.stats.syncs.refused++
  bump(deps.stats.rejected.sync, reason)
  stream.abort(new ProtocolViolation(`sync refused: ${reason}`, { protocol: 'sync', detail: reason }))
}

/**
 * The listener: answers one request per stream. Rate-limited per peer, membership-checked, capped
 * and timed out; never throws (a failure aborts the stream and is logged at debug).
 */
export function createSyncHandler (deps: SyncServerDeps): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const peer = connection.remotePeer.toString()
    if (!deps.rate.take(peer, deps.clock.monotonicMs())) {
      deps.stats.rateLimited.sync++
      deps.stats.syncs.refused++
      stream.abort(new ProtocolViolation('sync rate limit', { protocol: 'sync', detail: 'rate_limited' }))
      return
    }
    if (deps.isMember !== undefined && !deps.isMember(peer)) return refuse(deps, stream, 'not_member')
    const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS)
    try {
      const lp = lpStream(stream, { maxDataLength: SYNC_MAX_REQUEST_BYTES })
      const request = parseRequest((await lp.read({ signal })).subarray())
      if (request === undefined) return refuse(deps, stream, 'bad_request')
      const events = await deps.ledger.missingFor(request.vv, { maxEvents: SYNC_MAX_EVENTS, maxBytes: SYNC_MAX_BYTES }, { faulty: request.faulty, tips: request.tips })
      await lp.writeV([canonicalBytes({ n: events.length }), ...events], { signal })
      await stream.close({ signal })
      deps.stats.syncs.served++
      deps.stats.syncs.eventsServed += events.length
    } catch (err) {
      if (isViolation(err)) return refuse(deps, stream, 'bad_request')
      deps.logger.debug({ err, remote: peer }, 'serving a sync failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

/** One round's outcome on the dialer side. */
export interface PullResult {
  received: number
  accepted: number
  /** The answer hit a cap, so the peer may have more. */
  full: boolean
  rejected: Rejection[]
}

/** Reads one answer: the header, then its events, within SYNC_MAX_ANSWER_BYTES. Throws ProtocolViolation. */
async function readAnswer (lp: ReturnType<typeof lpStream>, signal: AbortSignal): Promise<{ events: Uint8Array[], bytes: number }> {
  const n = parseHeader((await lp.read({ signal })).subarray())
  if (n === undefined) throw new ProtocolViolation('malformed sync answer header', { protocol: 'sync', detail: 'bad_header' })
  const events: Uint8Array[] = []
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const frame = (await lp.read({ signal })).subarray()
    bytes += frame.length
    if (bytes > SYNC_MAX_ANSWER_BYTES) throw new ProtocolViolation(`sync answer over ${SYNC_MAX_ANSWER_BYTES} bytes`, { protocol: 'sync', detail: 'too_large' })
    events.push(frame)
  }
  return { events, bytes }
}

/**
 * The dialer, one round on an open stream: sends this peer's version vector, reads the answer,
 * closes the stream, ingests. Throws on a transport error, a timeout (`signal`) or a protocol
 * violation; the caller aborts the stream then.
 */
export async function pullOnce (stream: Stream, ledger: MeshLedger, signal: AbortSignal): Promise<PullResult> {
  const lp = lpStream(stream, { maxDataLength: SYNC_MAX_ANSWER_FRAME_BYTES })
  await lp.write(canonicalBytes({ vv: ledger.versionVector(), faulty: ledger.faulty(), tips: await ledger.tips() }), { signal })
  const { events, bytes } = await readAnswer(lp, signal)
  await stream.close({ signal })
  const result = events.length === 0 ? undefined : await ledger.ingest(events)
  return {
    received: events.length,
    accepted: result?.accepted.length ?? 0,
    full: events.length >= SYNC_MAX_EVENTS || bytes > SYNC_MAX_BYTES - MAX_EVENT_BYTES,
    rejected: result?.rejected ?? []
  }
}
