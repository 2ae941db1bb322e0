/**
 * Browser sign-in for the dashboard, without the bearer token ever reaching a browser or a URL: a
 * token holder (the CLI, over the token or the unix socket) takes a one-time code, the browser
 * trades it once for a session, and the session's cookie then stands in for the token. Codes and
 * sessions live in memory only, so a node restart signs every browser out.
 *
 * Both are kept by the sha256 of their value: a lookup compares hashes, never the secret itself,
 * so timing tells nothing about a value held.
 */
import { createSecretStore, createTicketStore } from './event-tickets.ts'

/** How long a sign-in code is valid, in ms. */
export const CODE_TTL_MS = 60_000
/** Most sign-in codes outstanding; past it the oldest is dropped. */
export const MAX_CODES = 16
/** How long a browser session lasts, in ms (the cookie's Max-Age says the same). */
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000
/** Most browser sessions at once; past it the oldest is ended (that browser signs in again). */
export const MAX_SESSIONS = 64
/** A code or a session value: 32 random bytes in hex. */
export const SECRET_PATTERN = /^[0-9a-f]{64}$/

/** The sign-in codes and sessions of one API. Synchronous and single-threaded: no call interleaves. */
export interface BrowserSessions {
  /** A new code: valid once, for CODE_TTL_MS. */
  issueCode(): { code: string, expiresInMs: number }
  /** Spends `code`: a new session, or undefined when the code is unknown, spent or expired. */
  redeem(code: string): { session: string, expiresInMs: number } | undefined
  /** The ms the session `value` has left, or undefined when it is not a live session. */
  remainingMs(value: string): number | undefined
  /** Ends the session `value`; idempotent. */
  end(value: string): void
}

/** Codes and sessions on `now` (monotonic ms). */
export function createBrowserSessions (now: () => number = () => performance.now()): BrowserSessions {
  const codes = createTicketStore(now, CODE_TTL_MS, MAX_CODES)
  const sessions = createSecretStore(now, SESSION_TTL_MS, MAX_SESSIONS)
  return {
    issueCode () {
      const { ticket, expiresInMs } = codes.issue()
      return { code: ticket, expiresInMs }
    },
    redeem (code) {
      if (!codes.redeem(code)) return undefined
      const { value, expiresInMs } = sessions.issue()
      return { session: value, expiresInMs }
    },
    remainingMs: (value) => (SECRET_PATTERN.test(value) ? sessions.remainingMs(value) : undefined),
    end: (value) => { sessions.drop(value) }
  }
}
