/**
 * The wire form of ledger gossip: one message carries one event or a bundle of consecutive events
 * of one author, as their canonical bytes joined by newlines. Canonical JSON never contains a raw
 * newline, so a single event is a bundle of one and its message id is still its event id. Bundles
 * let a peer that wrote several events at once (a burst of submits, a scheduler pass with several
 * bids or awards) pay the per-message cost of gossip (framing, encryption, forwarding) once.
 */
import type { DecodedEvent } from '@devq/core'

const NEWLINE = 0x0a

/** Caps of one outgoing bundle: events and bytes (the incoming caps are in limits.ts). */
export interface BundleLimits {
  maxEvents: number
  maxBytes: number
}

/** The parts of a message, or undefined when it has more than `maxParts` (it is refused unread). */
export function splitBundle (data: Uint8Array, maxParts: number): Uint8Array[] | undefined {
  const parts: Uint8Array[] = []
  let start = 0
  for (;;) {
    const end = data.indexOf(NEWLINE, start)
    if (parts.length >= maxParts) return undefined
    parts.push(data.subarray(start, end === -1 ? data.length : end))
    if (end === -1) return parts
    start = end + 1
  }
}

/** How many events a message claims to carry (its newlines + 1, counted up to `cap`), without decoding it. */
export function bundleSize (data: Uint8Array, cap = Infinity): number {
  let n = 1
  for (let at = data.indexOf(NEWLINE); at !== -1 && n < cap; at = data.indexOf(NEWLINE, at + 1)) n++
  return n
}

/** Joins events into one message. */
export function joinBundle (events: readonly DecodedEvent[]): Uint8Array {
  const size = events.reduce((n, ev) => n + ev.bytes.length, 0) + events.length - 1
  const out = new Uint8Array(size)
  let at = 0
  events.forEach((ev, i) => {
    if (i > 0) out[at++] = NEWLINE
    out.set(ev.bytes, at)
    at += ev.bytes.length
  })
  return out
}

/** Removes and returns the longest prefix of `queue` that fits one bundle (always at least one event). */
export function takeBundle (queue: DecodedEvent[], limits: BundleLimits): DecodedEvent[] {
  let bytes = 0
  let n = 0
  while (n < queue.length && n < limits.maxEvents) {
    const next = bytes + queue[n]!.bytes.length + (n > 0 ? 1 : 0)
    if (n > 0 && next > limits.maxBytes) break
    bytes = next
    n++
  }
  return queue.splice(0, Math.max(1, n))
}
