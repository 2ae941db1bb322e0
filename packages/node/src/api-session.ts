/**
 * The dashboard's sign-in routes, over the codes and sessions of browser-sessions.ts:
 *
 * - `POST /v1/session/code` (the bearer token or the unix socket only, never a session): a one-time
 *   code and the URL that signs a browser in with it, `http://<api>/#code=<code>`. The code rides in
 *   the fragment, which a browser sends to no server and puts in no Referer.
 * - `POST /v1/session {code}` (no credential: the code is one) trades the code for the session
 *   cookie. Only the dashboard's own page may do it: an Origin, when sent, must be the API's own.
 * - `GET /v1/session` says whether the request's cookie is a live session; `DELETE` ends it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { ApiRequestError } from './errors.ts'
import { parseRequest } from './api-schemas.ts'
import { SECRET_PATTERN, SESSION_TTL_MS, type BrowserSessions } from './browser-sessions.ts'

/** The session cookie's name. */
export const SESSION_COOKIE = 'devq_session'
/** Attributes of the session cookie: script cannot read it and no other site's request carries it. */
const COOKIE_ATTRIBUTES = 'Path=/; HttpOnly; SameSite=Strict'
/** Longest Cookie header looked into, in characters. */
const MAX_COOKIE_HEADER = 8192

/** Body of `POST /v1/session`. */
export const SessionRequest = z.strictObject({
  code: z.string().regex(SECRET_PATTERN, 'the 64 hex digits after #code= in the sign-in URL (devq open prints one)')
})

/** The values of the `devq_session` cookies a request carries (usually one). */
export function sessionCookies (req: FastifyRequest): string[] {
  const header = req.headers.cookie
  if (header === undefined || header.length > MAX_COOKIE_HEADER) return []
  return header.split(';').flatMap((pair) => {
    const eq = pair.indexOf('=')
    return eq !== -1 && pair.slice(0, eq).trim() === SESSION_COOKIE ? [pair.slice(eq + 1).trim()] : []
  })
}

/** The live session of `req` and the ms it has left, or undefined when it has none. */
export function liveSession (sessions: BrowserSessions, req: FastifyRequest): { value: string, remainingMs: number } | undefined {
  for (const value of sessionCookies(req)) {
    const remainingMs = sessions.remainingMs(value)
    if (remainingMs !== undefined) return { value, remainingMs }
  }
  return undefined
}

/** Refuses an Origin other than the API's own: only the dashboard it serves signs in. */
function ownOriginOnly (req: FastifyRequest): void {
  const origin = req.headers.origin?.toLowerCase()
  const own = `http://${req.headers.host?.toLowerCase() ?? ''}`
  if (origin !== undefined && origin !== own) {
    throw new ApiRequestError(`sign-in from origin ${JSON.stringify(origin)} is refused: only the dashboard this node serves (${own}) signs in`, { status: 403, detail: 'origin' })
  }
}

/** What the sign-in routes need. */
export interface SessionRoutesInit {
  /** The API's own URL, `http://127.0.0.1:<port>` (known once it listens). */
  apiUrl: () => string
}

function noStore (reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store')
}

/** Registers the sign-in routes on `app`. */
export function sessionRoutes (app: FastifyInstance, sessions: BrowserSessions, init: SessionRoutesInit): void {
  app.post('/v1/session/code', { config: { auth: 'bearer' } }, async (_req, reply) => {
    const { code, expiresInMs } = sessions.issueCode()
    return await noStore(reply).code(201).send({ code, url: `${init.apiUrl()}/#code=${code}`, expiresInMs })
  })
  app.post('/v1/session', { config: { auth: 'none' } }, async (req, reply) => {
    ownOriginOnly(req)
    const { code } = parseRequest(SessionRequest, req.body, 'body')
    const session = sessions.redeem(code)
    if (session === undefined) throw new ApiRequestError('the sign-in code is unknown, spent or expired (a code signs in once, within 60 s): run devq open for a new one', { status: 401, detail: 'code' })
    void reply.header('set-cookie', `${SESSION_COOKIE}=${session.session}; Max-Age=${SESSION_TTL_MS / 1000}; ${COOKIE_ATTRIBUTES}`)
    return await noStore(reply).send({ signedIn: true, expiresInMs: session.expiresInMs })
  })
  app.get('/v1/session', { config: { auth: 'none' } }, async (req, reply) => {
    const live = liveSession(sessions, req)
    return await noStore(reply).send(live === undefined ? { signedIn: false } : { signedIn: true, expiresInMs: live.remainingMs })
  })
  app.delete('/v1/session', async (req, reply) => {
    for (const value of sessionCookies(req)) sessions.end(value)
    void reply.header('set-cookie', `${SESSION_COOKIE}=; Max-Age=0; ${COOKIE_ATTRIBUTES}`)
    return await noStore(reply).send({ signedIn: false })
  })
}
