/**
 * Core's `ByteStream` port over a libp2p stream, with bounded buffering both ways.
 *
 * Reads listen to the stream's 'message' event (never its async iterator, which queues without
 * bound) and pause the stream while more than DIRECT_READ_QUEUE.highBytes wait unread: yamux then
 * withholds window updates, so a fast sender blocks instead of filling this peer's memory. Writes
 * wait for 'drain' whenever `send` says the transport is full. No inactivity timeout is set here:
 * each protocol sets its own.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import type { ByteStream } from '@devq/core'
import { StreamError } from './errors.ts'
import { DIRECT_MAX_PAUSED_BYTES, DIRECT_READ_QUEUE } from './limits.ts'

/** Who is on the other side, for errors; and the read queue's watermarks (default DIRECT_READ_QUEUE). */
export interface ByteStreamInit {
  peer: string
  protocol: string
  highBytes?: number
  lowBytes?: number
  /** Counters that get the bytes read and written (the protocol's stream stats). */
  counts?: { bytesIn: number, bytesOut: number }
}

class Libp2pByteStream implements ByteStream {
  readonly source: AsyncIterable<Uint8Array>
  private readonly stream: Stream
  private readonly init: ByteStreamInit
  private readonly highBytes: number
  private readonly lowBytes: number
  private readonly queue: Uint8Array[] = []
  private queued = 0
  /** The peer sent its end (FIN); a close without it is a truncation, not an end. */
  private remoteEnded = false
  private failure: Error | undefined
  /** Inside `stream.resume()`, which hands over what libp2p buffered while paused. */
  private resuming = false
  private wake: (() => void) | undefined

  constructor (stream: Stream, init: ByteStreamInit) {
    this.stream = stream
    this.init = init
    this.highBytes = init.highBytes ?? DIRECT_READ_QUEUE.highBytes
    this.lowBytes = Math.min(init.lowBytes ?? DIRECT_READ_QUEUE.lowBytes, this.highBytes)
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, DIRECT_MAX_PAUSED_BYTES)
    // The peer may have ended or reset the stream before it was handed over, so events already passed.
    if (stream.status === 'reset') this.failure = this.error('reset by the peer')
    else if (stream.status !== 'open') this.failure = this.error(`the stream was ${stream.status} before use`)
    this.remoteEnded = stream.remoteWriteStatus === 'closed'
    stream.addEventListener('message', (evt) => { this.onMessage(evt) })
    stream.addEventListener('remoteCloseWrite', () => { this.remoteEnded = true })
    stream.addEventListener('end', () => { this.notify() })
    stream.addEventListener('close', (evt) => { this.onClose(evt) }, { once: true })
    this.source = this.read()
  }

  async write (chunk: Uint8Array): Promise<void> {
    this.assertWritable()
    if (chunk.byteLength === 0) return
    let more: boolean
    try {
      more = this.stream.send(chunk)
    } catch (err) {
      throw this.failure ?? this.error('the stream is closed', err)
    }
    if (this.init.counts !== undefined) this.init.counts.bytesOut += chunk.byteLength
    while (!more && this.stream.writableNeedsDrain) more = await this.drain()
  }

  async end (): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    try {
      await this.stream.close()
    } catch (err) {
      throw this.failure ?? this.error('the stream closed before its end was sent', err)
    }
  }

  abort (err: Error): void {
    this.failure ??= err
    this.stream.abort(err)
    this.notify()
  }

  private async * read (): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure
      const chunk = this.queue.shift()
      if (chunk !== undefined) {
        this.queued -= chunk.byteLength
        this.maybeResume()
        yield chunk
        continue
      }
      if (this.remoteEnded && this.stream.readableEnded) return
      await new Promise<void>((resolve) => { this.wake = resolve })
    }
  }

  private onMessage (evt: StreamMessageEvent): void {
    const data = evt.data
    // A Uint8ArrayList iterates over the chunks it holds: hand them on without copying, except
    // fragments (the tail of a transport message) that would keep a much larger buffer alive.
    for (const buf of data instanceof Uint8Array ? [data] : data) {
      if (buf.byteLength === 0) continue
      this.queue.push(buf.byteLength * 2 < buf.buffer.byteLength ? new Uint8Array(buf) : buf)
      this.queued += buf.byteLength
      if (this.init.counts !== undefined) this.init.counts.bytesIn += buf.byteLength
    }
    if (!this.resuming) this.maybePause()
    this.notify()
  }

  private maybePause (): void {
    if (this.queued > this.highBytes && this.stream.readStatus === 'readable') this.stream.pause()
  }

  private onClose (evt: StreamCloseEvent): void {
    if (evt.error !== undefined) {
      this.failure ??= evt.local === true
        ? this.error(`aborted: ${evt.error.name}: ${evt.error.message}`, evt.error)
        : this.error('reset by the peer', evt.error)
    } else if (!this.remoteEnded) {
      this.failure ??= this.error('the connection closed before the peer ended the stream')
    }
    this.notify()
  }

  private maybeResume (): void {
    if (this.queued > this.lowBytes || this.stream.readStatus !== 'paused') return
    // `resume` dispatches libp2p's buffer first and only then lets yamux send window updates again:
    // pausing from inside that dispatch would be undone at once and flow control lost, so pause after.
    this.resuming = true
    try {
      this.stream.resume()
      this.maybePause()
    } catch (err) {
      this.failure ??= this.error('the stream could not resume reading', err)
    } finally {
      this.resuming = false
    }
  }

  /** Waits for the next 'drain' (true) or the stream's close (throws). */
  private async drain (): Promise<boolean> {
    this.assertWritable()
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => { this.stream.removeEventListener('close', onClose); resolve() }
      const onClose = (): void => {
        this.stream.removeEventListener('drain', onDrain)
        reject(this.failure ?? this.error('the stream closed while a write waited'))
      }
      this.stream.addEventListener('drain', onDrain, { once: true })
      this.stream.addEventListener('close', onClose, { once: true })
    })
    return !this.stream.writableNeedsDrain
  }

  private assertWritable (): void {
    if (this.failure !== undefined) throw this.failure
    if (this.stream.writeStatus !== 'writable') throw this.error(`cannot write: this side is ${this.stream.writeStatus}`)
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private error (detail: string, cause?: unknown): StreamError {
    const { peer, protocol } = this.init
    return new StreamError(`${protocol} stream with ${peer}: ${detail}`, { peer, protocol, detail }, { cause })
  }
}

/**
 * Adapts an open libp2p stream to core's `ByteStream` (it takes over the stream's 'message'
 * events; a stream the peer already reset reads as reset). Reads end when the peer ends its side and throw `StreamError` when it resets
 * or the connection drops; after `abort(err)` reads and writes throw `err`. One reader and one
 * writer may work at once.
 */
export function toByteStream (stream: Stream, init: ByteStreamInit): ByteStream {
  return new Libp2pByteStream(stream, init)
}
