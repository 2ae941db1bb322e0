/**
 * Two ByteStreams joined in memory, for a peer that talks to itself: a runner that builds a job
 * its own peer announced fetches the source through the same protocol code as from any other
 * peer, without a network hop.
 */
import type { ByteStream } from '@devq/core'

/** Bytes one direction may hold unread before `write` waits. */
const HIGH_WATER_BYTES = 1024 * 1024

/** One direction: a queue of chunks with backpressure on the writer. */
class Channel {
  private readonly chunks: Uint8Array[] = []
  private queued = 0
  private ended = false
  private error: Error | undefined
  private wakeReader: (() => void) | undefined
  private wakeWriter: (() => void) | undefined

  async push (chunk: Uint8Array): Promise<void> {
    if (this.error !== undefined) throw this.error
    if (this.ended) throw new Error('write after end')
    this.chunks.push(chunk)
    this.queued += chunk.length
    this.wakeReader?.()
    while (this.queued > HIGH_WATER_BYTES && this.error === undefined) await new Promise<void>((resolve) => { this.wakeWriter = resolve })
    if (this.error !== undefined) throw this.error
  }

  end (): void {
    this.ended = true
    this.wakeReader?.()
  }

  fail (err: Error): void {
    this.error ??= err
    this.wakeReader?.()
    this.wakeWriter?.()
  }

  async * read (): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.error !== undefined) throw this.error
      const chunk = this.chunks.shift()
      if (chunk !== undefined) {
        this.queued -= chunk.length
        this.wakeWriter?.()
        yield chunk
        continue
      }
      if (this.ended) return
      await new Promise<void>((resolve) => { this.wakeReader = resolve })
    }
  }
}

function side (incoming: Channel, outgoing: Channel): ByteStream {
  return {
    source: incoming.read(),
    write: async (chunk) => { await outgoing.push(chunk) },
    end: async () => { outgoing.end() },
    abort: (err) => { incoming.fail(err); outgoing.fail(err) }
  }
}

/** A connected pair: what one side writes, the other reads. Aborting either side aborts both. */
export function createLocalPair (): { client: ByteStream, server: ByteStream } {
  const up = new Channel()
  const down = new Channel()
  return { client: side(down, up), server: side(up, down) }
}
