/**
 * The node's stream of state events for the control API (`GET /v1/events`): every event gets the
 * next `seq` of this process's stream, is serialized once, kept in a bounded ring for clients that
 * reconnect, and handed to every live listener in order.
 *
 * `seq` counts from 1 without gaps within one `stream` (a random id per process): a client that
 * saw seq n and then n + 2 knows it missed one. Seqs of another process are meaningless here, so a
 * resume names the stream it came from.
 */
import { randomBytes } from 'node:crypto'

/** Most events the ring keeps for resumes. */
export const RING_EVENTS = 10_000
/** Most bytes (of serialized events) the ring keeps. */
export const RING_BYTES = 8 * 1024 * 1024

/** One event of the stream as clients receive it. */
export interface StreamEvent<T = unknown> {
  seq: number
  type: string
  /** This node's wall clock when the event happened, ms. */
  time: number
  data: T
}

/** Called with each event, in seq order, and its serialized form (the exact text clients get). */
export type HubListener = (event: StreamEvent, frame: string) => void

/** Sizes of the stream, for `GET /v1/events/stats` and metrics. */
export interface HubStats {
  stream: string
  seq: number
  ring: { events: number, bytes: number, oldestSeq: number | undefined }
}

/** The stream. Single-threaded: `publish` delivers synchronously, so listeners see events in seq order. */
export interface EventHub {
  /** This process's stream id (16 hex digits). */
  readonly stream: string
  /** The seq of the newest event (0 before the first). */
  seq(): number
  /** Appends an event, keeps it in the ring and delivers it to every listener. */
  publish(type: string, data: unknown): StreamEvent
  /**
   * The serialized events with seq > `since`, oldest first; undefined when the ring no longer
   * holds all of them (or `since` is ahead of this stream). Call it and `listen` in one
   * synchronous step to miss nothing in between.
   */
  after(since: number): string[] | undefined
  /** Adds a listener; returns its removal. */
  listen(listener: HubListener): () => void
  stats(): HubStats
}

/** Options of createEventHub. */
export interface EventHubInit {
  ringEvents?: number
  ringBytes?: number
  /** Wall clock for `time`, ms. */
  now?: () => number
}

/** A new stream with an empty ring. */
export function createEventHub (init: EventHubInit = {}): EventHub {
  const maxEvents = init.ringEvents ?? RING_EVENTS
  const maxBytes = init.ringBytes ?? RING_BYTES
  const now = init.now ?? Date.now
  const stream = randomBytes(8).toString('hex')
  const listeners = new Set<HubListener>()
  // The ring: frames[start..] hold seqs firstSeq..seq; `start` moves instead of shifting the array.
  let frames: string[] = []
  let start = 0
  let firstSeq = 1
  let bytes = 0
  let seq = 0
  const evict = (): void => {
    while (frames.length - start > maxEvents || (bytes > maxBytes && frames.length - start > 1)) {
      bytes -= frames[start]!.length
      start++
      firstSeq++
    }
    if (start > 1024 && start * 2 > frames.length) {
      frames = frames.slice(start)
      start = 0
    }
  }
  return {
    stream,
    seq: () => seq,
    publish (type, data) {
      const event: StreamEvent = { seq: ++seq, type, time: now(), data }
      const frame = JSON.stringify(event)
      frames.push(frame)
      bytes += frame.length
      evict()
      for (const listener of listeners) listener(event, frame)
      return event
    },
    after (since) {
      if (since > seq || since < firstSeq - 1) return undefined
      return frames.slice(start + (since - firstSeq + 1))
    },
    listen (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    stats: () => ({ stream, seq, ring: { events: frames.length - start, bytes, oldestSeq: frames.length > start ? firstSeq : undefined } })
  }
}
