import type { DecodedEvent } from '../events/envelope.ts'

/** The total order every conflict rule uses: lowest `(lamport, author, id)` first. */
export interface OrderKey {
  lamport: number
  author: string
  id: string
}

export function keyOf (e: DecodedEvent): OrderKey {
  return { lamport: e.event.lamport, author: e.event.author, id: e.id }
}

/** Compares two order keys; negative when `a` comes first. */
export function compareKeys (a: OrderKey, b: OrderKey): number {
  if (a.lamport !== b.lamport) return a.lamport - b.lamport
  if (a.author !== b.author) return a.author < b.author ? -1 : 1
  if (a.id !== b.id) return a.id < b.id ? -1 : 1
  return 0
}

export function compareEvents (a: DecodedEvent, b: DecodedEvent): number {
  return compareKeys(keyOf(a), keyOf(b))
}
