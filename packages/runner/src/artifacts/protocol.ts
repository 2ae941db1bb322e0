/**
 * The `artifacts` protocol, one blob per stream (framing from wire.ts):
 *
 *   fetcher -> server   {"digest":"sha256:<hex>"[,"probe":true]}       (<= MAX_ARTIFACT_REQUEST_BYTES)
 *   server  -> fetcher  {"ok":true,"size":N} then N raw bytes, then ends
 *                    or {"ok":false,"error":{ArtifactError refused | not_found}}
 *
 * A probe asks only whether the blob is held (and may be had): the answer is the header alone.
 *
 * The fetcher streams the bytes straight into its store with the digest and size the ledger names,
 * so a blob is verified on receipt and appears whole or not at all. Both sides give up on a peer
 * that sends (or takes) nothing for their idle time.
 */
import { z } from 'zod'
import { systemClock, type ArtifactRef, type ByteStream, type Clock, type Logger } from '@devq/core'
import { answerError, FrameReader, noteRefusedFrame, withIdleTimeout, writeFrame, writeWithin, type RefusedFrame } from '../wire.ts'
import { isDigest } from './digest.ts'
import { FETCH_IDLE_MS, MAX_ARTIFACT_REQUEST_BYTES, SERVE_IDLE_MS } from './limits.ts'
import { artifactError, isArtifactError } from './refusal.ts'
import type { ArtifactStore } from './store.ts'

/** The protocol's name, for registration with the mesh. */
export const ARTIFACTS_PROTOCOL = 'artifacts'

const Request = z.strictObject({ digest: z.string().refine(isDigest, 'expected sha256:<64 hex>'), probe: z.literal(true).optional() })
const OkHeader = z.looseObject({ ok: z.literal(true), size: z.number().int().min(0) })

/** Decides whether `peer` may have blob `digest`: `true`, or the reason for refusing. */
export type AuthorizeFetch = (peer: string, digest: string) => true | string | Promise<true | string>

/** Options of `createArtifactServer`. */
export interface ArtifactServerInit {
  store: ArtifactStore
  authorize: AuthorizeFetch
  logger: Logger
  refusedFrame?: RefusedFrame
  /** Idle limit on reading the request and on each write (default SERVE_IDLE_MS). */
  idleMs?: number
}

/** A protocol handler: serves one request on `stream` from `peer`. Never throws. */
export type ArtifactHandler = (stream: ByteStream, peer: string) => Promise<void>

/**
 * Creates the server side. Each request is authorized, then answered with the blob from the store
 * (with backpressure: the next chunk is read only once the stream takes the last); serving counts as
 * a use of the blob. Safe for any number of concurrent streams.
 */
export function createArtifactServer (init: ArtifactServerInit): ArtifactHandler {
  const logger = init.logger.child({ component: 'artifact-server' })
  const idleMs = init.idleMs ?? SERVE_IDLE_MS
  return async (stream, peer) => {
    let streaming = false
    let digest: string | undefined
    try {
      const reader = new FrameReader(withIdleTimeout(stream.source, idleMs, ARTIFACTS_PROTOCOL), ARTIFACTS_PROTOCOL)
      const request = await reader.frame(Request, MAX_ARTIFACT_REQUEST_BYTES)
      digest = request.digest
      const verdict = await init.authorize(peer, digest)
      if (verdict !== true) {
        logger.info({ peer, digest, reason: verdict }, 'artifact fetch refused')
        await answerError(stream, artifactError(digest, 'refused', `was refused: ${verdict}`))
        return
      }
      const size = await init.store.size(digest)
      if (size === undefined) {
        await answerError(stream, artifactError(digest, 'not_found', 'is not held by this peer'))
        return
      }
      // A probe comes before a reuse of the blob, so it counts as a use too.
      await init.store.touch(digest)
      streaming = true
      await writeFrame(stream, { ok: true, size })
      if (request.probe === true) {
        await stream.end()
        return
      }
      for await (const chunk of init.store.open(digest)) await writeWithin(stream, chunk, idleMs, ARTIFACTS_PROTOCOL)
      await stream.end()
      logger.debug({ peer, digest, bytes: size }, 'artifact served')
    } catch (err) {
      logger.debug({ peer, digest, err: (err as Error).message }, 'artifact serve failed')
      if (!streaming) noteRefusedFrame(err, init.refusedFrame)
      if (streaming) stream.abort(err instanceof Error ? err : new Error(String(err)))
      else await answerError(stream, err)
    }
  }
}

/** Options of `fetchArtifact`. */
export interface FetchInit {
  /** Opens a stream to a peer that may serve the blob. */
  dial: () => Promise<ByteStream>
  /** The artifact as the ledger lists it: its digest and size are what is accepted. */
  ref: ArtifactRef
  store: ArtifactStore
  /** Fail when no byte arrives for this long (default FETCH_IDLE_MS). */
  idleMs?: number
  signal?: AbortSignal
  clock?: Clock
}

/** How a fetch went: bytes received (0 when already held) and milliseconds taken. */
export interface FetchResult {
  bytes: number
  ms: number
}

const REMOTE_REASONS = new Set(['refused', 'not_found'])

/** The error a failed fetch reports: always an ArtifactError naming the artifact. */
function fetchError (ref: ArtifactRef, err: unknown): Error {
  const cause = { cause: err, retryable: true }
  if (isArtifactError(err)) return artifactError(ref.name, err.data.reason, err.data.detail, err.data.path, cause)
  const e = err as Error & { data?: { remote?: { name?: string, message?: string, data?: { reason?: string, detail?: string } } } }
  if (e?.name === 'RemoteError') {
    const remote = e.data?.remote
    const reason = remote?.name === 'ArtifactError' && REMOTE_REASONS.has(remote.data?.reason ?? '') ? remote.data?.reason as 'refused' | 'not_found' : 'unavailable'
    return artifactError(ref.name, reason, `the source answered: ${remote?.data?.detail ?? remote?.message ?? 'an error'}`, undefined, cause)
  }
  if (e?.name === 'StreamStalledError') return artifactError(ref.name, 'unavailable', `the transfer stalled: ${e.message}`, undefined, cause)
  if (e?.name === 'ProtocolError') return artifactError(ref.name, 'unavailable', `the source broke the protocol: ${e.message}`, undefined, cause)
  return artifactError(ref.name, 'unavailable', `the transfer failed: ${e?.message ?? String(err)}`, undefined, cause)
}

async function transfer (stream: ByteStream, init: FetchInit): Promise<number> {
  const { ref } = init
  await writeFrame(stream, { digest: ref.digest })
  const reader = new FrameReader(withIdleTimeout(stream.source, init.idleMs ?? FETCH_IDLE_MS, ARTIFACTS_PROTOCOL, init.signal), ARTIFACTS_PROTOCOL)
  const header = await reader.answer(OkHeader)
  if (header.size !== ref.size) throw artifactError(ref.name, 'size_mismatch', `is offered as ${header.size} bytes, but the ledger says ${ref.size}`)
  let bytes = 0
  const counted = (async function * () {
    for await (const chunk of reader.rest()) {
      bytes += chunk.length
      yield chunk
    }
  })()
  await init.store.putStream(counted, { digest: ref.digest, size: ref.size })
  return bytes
}

/**
 * Fetches one artifact into `store` over a stream from `dial`, verified against `ref` on receipt.
 * Already held: no transfer (`bytes: 0`). On failure nothing is left in the store.
 * @throws {ArtifactError} `refused`, `not_found`, `digest_mismatch`, `size_mismatch` (oversize or
 * truncated) or `unavailable` (unreachable, stalled, protocol broken); retryable. An abort through
 * `signal` rejects with the signal's reason.
 */
export async function fetchArtifact (init: FetchInit): Promise<FetchResult> {
  const clock = init.clock ?? systemClock
  const started = clock.monotonicMs()
  const elapsed = (): number => Math.round(clock.monotonicMs() - started)
  if (!isDigest(init.ref.digest)) throw artifactError(init.ref.name, 'not_found', `has a malformed digest ${JSON.stringify(String(init.ref.digest).slice(0, 80))}`)
  if (await init.store.has(init.ref.digest)) {
    await init.store.touch(init.ref.digest)
    return { bytes: 0, ms: elapsed() }
  }
  init.signal?.throwIfAborted()
  let stream: ByteStream
  try {
    stream = await init.dial()
  } catch (err) {
    throw artifactError(init.ref.name, 'unavailable', `could not reach the source: ${(err as Error).message}`, undefined, { cause: err, retryable: true })
  }
  const onAbort = (): void => { stream.abort(new Error('fetch aborted')) }
  init.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const bytes = await transfer(stream, init)
    await stream.end().catch(() => {})
    return { bytes, ms: elapsed() }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (init.signal?.aborted === true) throw init.signal.reason
    throw fetchError(init.ref, err)
  } finally {
    init.signal?.removeEventListener('abort', onAbort)
  }
}

/** Options of `probeArtifact`. */
export interface ProbeInit {
  dial: () => Promise<ByteStream>
  ref: ArtifactRef
  /** Give up (answer false) when the answer takes longer than this, ms (default FETCH_IDLE_MS). */
  idleMs?: number
  signal?: AbortSignal
}

/**
 * Whether the peer behind `dial` holds the blob `ref` names, with the size the ledger gives, and
 * would hand it to this peer. Moves no blob bytes. Never throws: any failure answers false.
 */
export async function probeArtifact (init: ProbeInit): Promise<boolean> {
  if (!isDigest(init.ref.digest)) return false
  let stream: ByteStream | undefined
  try {
    stream = await init.dial()
    await writeFrame(stream, { digest: init.ref.digest, probe: true })
    const reader = new FrameReader(withIdleTimeout(stream.source, init.idleMs ?? FETCH_IDLE_MS, ARTIFACTS_PROTOCOL, init.signal), ARTIFACTS_PROTOCOL)
    const header = await reader.answer(OkHeader)
    await stream.end().catch(() => {})
    return header.size === init.ref.size
  } catch (err) {
    stream?.abort(err instanceof Error ? err : new Error(String(err)))
    return false
  }
}

/** Options of `fetchFromAny`: `fetchArtifact`'s, with several sources. */
export interface FetchAnyInit extends Omit<FetchInit, 'dial'> {
  /** Sources in order of preference. */
  dials: ReadonlyArray<() => Promise<ByteStream>>
}

/**
 * Tries each source in order until one delivers a verified copy.
 * @throws {ArtifactError} `unavailable` naming every source's failure when none could.
 */
export async function fetchFromAny (init: FetchAnyInit): Promise<FetchResult & { source: number }> {
  const failures: string[] = []
  const errors: unknown[] = []
  for (const [source, dial] of init.dials.entries()) {
    try {
      return { ...(await fetchArtifact({ ...init, dial })), source }
    } catch (err) {
      if (init.signal?.aborted === true) throw err
      errors.push(err)
      failures.push(`source ${source + 1}: ${(err as Error).message}`)
    }
  }
  const detail = failures.length === 0 ? 'has no source to fetch it from' : `could not be fetched from any source (${failures.join('; ')})`
  throw artifactError(init.ref.name, 'unavailable', detail, undefined, { cause: new AggregateError(errors), retryable: true })
}
