/**
 * One-time tickets for opening the event stream. A browser cannot set headers on a WebSocket, and
 * the bearer token must never go into a URL (URLs end up in logs and histories), so an
 * authenticated `POST /v1/events/ticket` hands out a ticket that opens one connection within
 * TICKET_TTL_MS and is spent by it.
 */
import { createHash, randomBytes } from 'node:crypto'

/** How long a ticket is valid, in ms. */
export const TICKET_TTL_MS = 30_000
/** Most unspent tickets kept; past it the oldest is dropped. */
export const MAX_TICKETS = 256

/** Tickets issued and not yet spent or expired. */
export interface TicketStore {
  /** A new ticket: 32 random bytes, in hex. */
  issue(): { ticket: string, expiresInMs: number }
  /** Whether `ticket` is valid; spends it, so it is valid once. */
  redeem(ticket: string): boolean
}

/**
 * A ticket store on `now` (monotonic ms): tickets valid for `ttlMs`, at most `max` unspent (past it
 * the oldest is dropped). Browser sign-in codes are tickets of their own store (browser-sessions.ts).
 */
export function createTicketStore (now: () => number = () => performance.now(), ttlMs = TICKET_TTL_MS, max = MAX_TICKETS): TicketStore {
  // Keyed by the ticket's hash, so looking one up tells nothing about the tickets held. Insertion
  // order is expiry order.
  const tickets = new Map<string, number>()
  const key = (ticket: string): string => createHash('sha256').update(ticket).digest('hex')
  const sweep = (): void => {
    const t = now()
    for (const [k, expires] of tickets) {
      if (expires > t && tickets.size < max) break
      tickets.delete(k)
    }
  }
  return {
    issue () {
      sweep()
      const ticket = randomBytes(32).toString('hex')
      tickets.set(key(ticket), now() + ttlMs)
      return { ticket, expiresInMs: ttlMs }
    },
    redeem (ticket) {
      const k = key(ticket)
      const expires = tickets.get(k)
      tickets.delete(k)
      return expires !== undefined && expires > now()
    }
  }
}
