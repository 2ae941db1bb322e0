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
 * Secrets of 32 random bytes in hex, each valid for `ttlMs` on `now` (monotonic ms), at most `max`
 * held (past it the oldest is dropped). Kept by sha256, so a lookup compares hashes, never the
 * secret: timing tells nothing about the values held. Insertion order is expiry order. Sign-in
 * codes and browser sessions (browser-sessions.ts) are stores of their own.
 */
export interface SecretStore {
  issue(): { value: string, expiresInMs: number }
  /** The ms `value` has left, or undefined when it is not held or has expired. */
  remainingMs(value: string): number | undefined
  /** Forgets `value`; idempotent. */
  drop(value: string): void
}

export function createSecretStore (now: () => number, ttlMs: number, max: number): SecretStore {
  const held = new Map<string, number>()
  const key = (value: string): string => createHash('sha256').update(value).digest('hex')
  const sweep = (): void => {
    const t = now()
    for (const [k, expires] of held) {
      if (expires > t && held.size < max) break
      held.delete(k)
    }
  }
  return {
    issue () {
      sweep()
      const value = randomBytes(32).toString('hex')
      held.set(key(value), now() + ttlMs)
      return { value, expiresInMs: ttlMs }
    },
    remainingMs (value) {
      const expires = held.get(key(value))
      const left = expires === undefined ? 0 : expires - now()
      return left > 0 ? left : undefined
    },
    drop (value) { held.delete(key(value)) }
  }
}

/** A ticket store on `now` (monotonic ms): tickets valid for `ttlMs`, at most `max` unspent. */
export function createTicketStore (now: () => number = () => performance.now(), ttlMs = TICKET_TTL_MS, max = MAX_TICKETS): TicketStore {
  const tickets = createSecretStore(now, ttlMs, max)
  return {
    issue () {
      const { value, expiresInMs } = tickets.issue()
      return { ticket: value, expiresInMs }
    },
    redeem (ticket) {
      const valid = tickets.remainingMs(ticket) !== undefined
      tickets.drop(ticket)
      return valid
    }
  }
}
