/**
 * What the control API offers a browser: the dashboard's files (api-dashboard.ts) and sign-in by
 * a one-time code for a session cookie (api-session.ts), whose check the guard uses in place of
 * the bearer token (api-guard.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Logger } from '@devq/core'
import { createBrowserSessions } from './browser-sessions.ts'
import { dashboardRoutes, DEFAULT_DASHBOARD_DIR } from './api-dashboard.ts'
import { liveSession, sessionRoutes } from './api-session.ts'

/** Where the dashboard is and how the API is reached. */
export interface BrowserAccessInit {
  /** The built dashboard; default DEFAULT_DASHBOARD_DIR. */
  dashboardDir?: string
  /** The API's own URL, `http://127.0.0.1:<port>` (known once it listens): sign-in URLs point there. */
  apiUrl: () => string
  logger: Logger
}

/** The guard's view of browser sessions. */
export interface BrowserAccess {
  /** Whether `req` carries the cookie of a live session. */
  signedIn(req: FastifyRequest): boolean
}

/** Registers the dashboard and the sign-in routes on `app`; the sessions live as long as `app`, in memory. */
export function browserAccess (app: FastifyInstance, init: BrowserAccessInit): BrowserAccess {
  const sessions = createBrowserSessions()
  sessionRoutes(app, sessions, { apiUrl: init.apiUrl })
  dashboardRoutes(app, { dir: init.dashboardDir ?? DEFAULT_DASHBOARD_DIR, logger: init.logger })
  return { signedIn: (req) => liveSession(sessions, req) !== undefined }
}
