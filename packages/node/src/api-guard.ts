/**
 * Who may talk to the control API, checked on every request before any route runs:
 *
 * - `Host` must name this API: a loopback name (127.0.0.1, localhost, [::1]) with the API's port, or
 *   a host the config allows. A page on another site that re-points its DNS name at 127.0.0.1 (DNS
 *   rebinding) sends its own name here and is refused.
 * - `Origin`, which browsers send on cross-origin and on non-GET requests, must be the API's own
 *   origin (the dashboard this node serves) or one the config allows. Clients that are not browsers
 *   (the CLI, curl) send none.
 * - Then the bearer token of api.token, or the cookie of a browser session (api-session.ts). A
 *   request signed in by the cookie with a method that changes something (POST, PUT, PATCH,
 *   DELETE) must also carry an Origin naming the API itself: a defence against cross-site requests
 *   besides the cookie's SameSite=Strict. A route's config may ask otherwise (RouteAuthConfig).
 *
 * A request over the unix socket skips all three: the socket's file mode (0600) already says who
 * may connect, as with docker.sock.
 *
 * Refusals are 403 (401 for the token) in the API's error shape and name the flag that would allow
 * the request.
 */
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiRequestError } from './errors.ts'

/** Host names that always reach this node's own loopback API (with its port). */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** What the guard lets through besides loopback. */
export interface GuardInit {
  /** The bearer token every request must carry. */
  token: string
  /** The port the API listens on (read per request: it is known only once listening). */
  port: () => number
  /** More `Host` values: `name` (with the API's port or none) or `name:port` (exactly). Lower case. */
  allowedHosts: readonly string[]
  /** More browser origins (`scheme://host[:port]`, lower case) that may call the API. */
  allowedOrigins: readonly string[]
  /** Whether a request came over the unix socket, and so passes without checks. */
  viaSocket: (req: FastifyRequest['raw']) => boolean
  /** Whether a request carries the cookie of a live browser session; without it only the token counts. */
  signedIn?: (req: FastifyRequest) => boolean
}

/**
 * What a route takes instead of the default `token` (the bearer token or a browser session):
 * `bearer` the token alone (minting sign-in codes: a session must not beget sessions), `ticket` a
 * one-time ticket the route checks itself (the event stream, which browsers open without
 * headers), `none` no credential (the dashboard's files, the sign-in that trades a code).
 */
export interface RouteAuthConfig {
  auth?: 'token' | 'bearer' | 'ticket' | 'none'
}

/** Methods that change nothing, which a cookie may send without an Origin. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** `name` and `port` of a Host header value (`[::1]:80` keeps its brackets); port undefined when absent. */
function splitHost (host: string): { name: string, port: string | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host)
  return m === null ? { name: host, port: undefined } : { name: m[1]!, port: m[2] }
}

/** Whether `host` (a Host header, lower case) names this API. */
export function hostAllowed (host: string, port: number, allowed: readonly string[]): boolean {
  const { name, port: given } = splitHost(host)
  const own = (given ?? '80') === String(port)
  if (LOOPBACK_NAMES.has(name) && own) return true
  return allowed.some((a) => a === host || (splitHost(a).port === undefined && a === name && (given === undefined || own)))
}

/** Whether a browser on `origin` (lower case) may call the API it reached as `host`: its own page, or an allowed one. */
export function originAllowed (origin: string, host: string, allowed: readonly string[]): boolean {
  return origin === `http://${host}` || allowed.includes(origin)
}

function refuseHost (host: string | undefined, port: number): ApiRequestError {
  const what = host === undefined ? 'a request without a Host header' : `Host ${JSON.stringify(host)}`
  return new ApiRequestError(`${what} is refused: this API answers only as 127.0.0.1, localhost or [::1] on port ${port} (start devq-node with --api-allow-hosts <name> to reach it by another name)`, { status: 403, detail: 'host' })
}

function refuseOrigin (origin: string, host: string): ApiRequestError {
  return new ApiRequestError(`requests from origin ${JSON.stringify(origin)} are refused: only the dashboard this node serves (http://${host}) may call the API from a browser (start devq-node with --api-allow-origins ${origin} to allow it)`, { status: 403, detail: 'origin' })
}

/** The refusal for `req`, or undefined when it may go on to the routes. */
function check (req: FastifyRequest, init: GuardInit, expected: Buffer): ApiRequestError | undefined {
  const port = init.port()
  const host = req.headers.host?.toLowerCase()
  if (host === undefined || !hostAllowed(host, port, init.allowedHosts)) return refuseHost(req.headers.host, port)
  const origin = req.headers.origin
  if (origin !== undefined && !originAllowed(origin.toLowerCase(), host, init.allowedOrigins)) return refuseOrigin(origin, host)
  const auth = (req.routeOptions.config as RouteAuthConfig).auth ?? 'token'
  if (auth === 'ticket' || auth === 'none') return undefined
  const got = Buffer.from(req.headers.authorization ?? '')
  if (got.length === expected.length && timingSafeEqual(got, expected)) return undefined
  if (auth === 'token' && init.signedIn?.(req) === true) return cookieOrigin(req, host)
  const why = auth === 'bearer' ? 'this route takes the bearer token (see api.token in the data dir) or the unix socket, never a browser session' : 'missing or wrong bearer token (see api.token in the data dir), and no browser session (devq open signs a browser in)'
  return new ApiRequestError(why, { status: 401, detail: 'unauthorized' })
}

/** The refusal of a request signed in by its cookie that may change something and does not come from the API's own page. */
function cookieOrigin (req: FastifyRequest, host: string): ApiRequestError | undefined {
  if (SAFE_METHODS.has(req.method) || req.headers.origin?.toLowerCase() === `http://${host}`) return undefined
  return new ApiRequestError(`a ${req.method} signed in by the session cookie must come from the dashboard this node serves, with Origin http://${host}`, { status: 403, detail: 'origin' })
}

/** Adds the Host, Origin and token checks to every request of `app`. */
export function guardRequests (app: FastifyInstance, init: GuardInit): void {
  const expected = Buffer.from(`Bearer ${init.token}`)
  app.addHook('onRequest', async (req, reply) => {
    // No answer of this API is to be read as anything but its declared type (a log is text/plain).
    void reply.header('x-content-type-options', 'nosniff')
    if (init.viaSocket(req.raw)) return
    const refusal = check(req, init, expected)
    if (refusal !== undefined) await reply.code(refusal.data.status).send(refusal.toJSON())
  })
}
