/**
 * Framing shared by the runner's direct-stream protocols (git, artifacts, logs, secrets).
 *
 * A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. A request is one frame;
 * an answer is one header frame, `{"ok":true,...}` or `{"ok":false,"error":{name,message,data}}`,
 * then, for protocols that carry data, raw bytes until the sender ends its side.
 */
import { z } from 'zod'
import type { ByteStream } from '@devq/core'
import { ProtocolError, RemoteError, StreamStalledError } from './errors.ts'

/** Largest request or header frame, in bytes. */
export const MAX_FRAME_BYTES = 64 * 1024

/**
 * Told of each request a server refused for its framing (over the cap, not JSON, a shape the
 * schema refuses, cut short), so the node can count refused input. Must not throw.
 */
export type RefusedFrame = () => void

/** Tells `refused` when `err` is a framing violation (`ProtocolError`). */
export function noteRefusedFrame (err: unknown, refused: RefusedFrame | undefined): void {
  if (refused !== undefined && err instanceof Error && err.name === 'ProtocolError') refused()
}

/** Encodes `value` as one frame. */
export function encodeFrame (value: unknown): Uint8Array {
  const body = Buffer.from(JSON.stringify(value), 'utf8')
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeUInt32BE(body.length, 0)
  body.copy(out, 4)
  return out
}

/** Writes `value` as one frame. */
export async function writeFrame (stream: ByteStream, value: unknown): Promise<void> {
  await stream.write(encodeFrame(value))
}

/** The `{name, message, data}` form of any error, for the wire. */
export function errorJson (err: unknown): { name: string, message: string, data: unknown } {
  if (err instanceof Error) {
    const withData = err as Error & { data?: unknown }
    return { name: err.name, message: err.message, data: withData.data ?? {} }
  }
  return { name: 'Error', message: String(err), data: {} }
}

/** Resolves as `promise` does, or rejects with `onLate()` once `ms` have passed first. */
export async function beforeDeadline<T> (promise: Promise<T>, ms: number, onLate: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(onLate()) }, ms) })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Writes one chunk, or throws `StreamStalledError` when the peer takes no bytes for `idleMs`
 * (a peer that asks and then stops reading must not hold the sender's work forever).
 */
export async function writeWithin (stream: ByteStream, chunk: Uint8Array, idleMs: number, protocol: string): Promise<void> {
  await beforeDeadline(stream.write(chunk), idleMs, () => new StreamStalledError(`${protocol}: the peer took no bytes for ${idleMs} ms`, { protocol, idleMs }))
}

/** Answers a request with an error header and ends the stream. Never throws. */
export async function answerError (stream: ByteStream, err: unknown): Promise<void> {
  try {
    await writeFrame(stream, { ok: false, error: errorJson(err) })
    await stream.end()
  } catch {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

/**
 * Reads frames, then the raw rest, from one stream's source. Holds at most one frame plus one
 * chunk in memory. Not for concurrent use.
 */
export class FrameReader {
  private readonly it: AsyncIterator<Uint8Array>
  private readonly protocol: string
  private buffered: Buffer = Buffer.alloc(0)
  private done = false

  constructor (source: AsyncIterable<Uint8Array>, protocol: string) {
    this.it = source[Symbol.asyncIterator]()
    this.protocol = protocol
  }

  /**
   * Reads one frame and validates it with `schema`.
   * @throws {ProtocolError} for a frame over `maxBytes`, bad JSON, a shape the schema refuses, or an early end.
   */
  async frame<T> (schema: z.ZodType<T>, maxBytes: number = MAX_FRAME_BYTES): Promise<T> {
    await this.fill(4)
    const length = this.buffered.readUInt32BE(0)
    if (length > maxBytes) throw this.violation(`frame of ${length} bytes is over the ${maxBytes}-byte cap`)
    await this.fill(4 + length)
    const body = this.buffered.subarray(4, 4 + length)
    this.buffered = this.buffered.subarray(4 + length)
    let value: unknown
    try {
      value = JSON.parse(body.toString('utf8'))
    } catch {
      throw this.violation('frame is not JSON')
    }
    const parsed = schema.safeParse(value)
    if (!parsed.success) throw this.violation(`unexpected frame: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
    return parsed.data
  }

  /**
   * Reads an answer header. An `{ok:false}` header becomes a thrown `RemoteError`; an `{ok:true}`
   * header is validated with `schema`.
   */
  async answer<T> (schema: z.ZodType<T>, maxBytes: number = MAX_FRAME_BYTES): Promise<T> {
    const header = await this.frame(AnyHeader, maxBytes)
    if (header.ok === false) {
      const e = header.error
      throw new RemoteError(`${this.protocol}: the peer answered ${e.name}: ${e.message}`, { protocol: this.protocol, remote: { name: e.name, message: e.message, data: e.data ?? {} } })
    }
    const parsed = schema.safeParse(header)
    if (!parsed.success) throw this.violation(`unexpected answer: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
    return parsed.data
  }

  /** The bytes after the frames read so far, until the remote ends its side. */
  async * rest (): AsyncGenerator<Uint8Array> {
    if (this.buffered.length > 0) {
      const first = this.buffered
      this.buffered = Buffer.alloc(0)
      yield first
    }
    while (!this.done) {
      const next = await this.it.next()
      if (next.done === true) {
        this.done = true
        return
      }
      if (next.value.length > 0) yield next.value
    }
  }

  /** Reads until `n` bytes are buffered, joining the chunks once (a frame in 1-byte chunks stays linear). */
  private async fill (n: number): Promise<void> {
    if (this.buffered.length >= n) return
    const parts: Uint8Array[] = [this.buffered]
    let have = this.buffered.length
    while (have < n) {
      if (this.done) throw this.violation('stream ended in the middle of a frame')
      const next = await this.it.next()
      if (next.done === true) {
        this.done = true
        continue
      }
      parts.push(next.value)
      have += next.value.length
    }
    this.buffered = Buffer.concat(parts, have)
  }

  private violation (detail: string): ProtocolError {
    return new ProtocolError(`${this.protocol}: ${detail}`, { protocol: this.protocol, detail })
  }
}

/** Any answer header: success (validated further by the caller) or an error from the peer. */
const AnyHeader = z.union([
  z.looseObject({ ok: z.literal(true) }),
  z.looseObject({ ok: z.literal(false), error: z.looseObject({ name: z.string().max(200), message: z.string().max(4000), data: z.unknown() }) })
])

/**
 * Passes `source` through, but throws `StreamStalledError` when no chunk arrives for `idleMs`, and
 * stops when `signal` aborts. The timer restarts with every chunk, so a slow but moving transfer
 * goes on. After it throws, abort the stream: the read it gave up on is still pending.
 */
export async function * withIdleTimeout (source: AsyncIterable<Uint8Array>, idleMs: number, protocol: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]()
  try {
    while (true) {
      signal?.throwIfAborted()
      let timer: NodeJS.Timeout | undefined
      let onAbort: (() => void) | undefined
      const stalled = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new StreamStalledError(`${protocol}: no data for ${idleMs} ms`, { protocol, idleMs })) }, idleMs)
        onAbort = () => { reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted')) }
        signal?.addEventListener('abort', onAbort, { once: true })
      })
      let next: IteratorResult<Uint8Array>
      try {
        next = await Promise.race([it.next(), stalled])
      } finally {
        // Cleared before yielding: a consumer that pauses between chunks is not a stalled peer.
        clearTimeout(timer)
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
      }
      if (next.done === true) return
      yield next.value
    }
  } finally {
    // A pending read holds the iterator: awaiting `return` would wait for the stalled peer. The
    // caller aborts the stream, which ends that read.
    void it.return?.()?.catch(() => {})
  }
}
