/**
 * The route table of the control API: every route with its request and response schemas. It is
 * the one source of truth: doc/openapi.json is generated from it (`npm run openapi`), and with
 * DEVQ_API_CHECK=1 (tests) the API refuses to start when a registered route is missing here or a
 * route here is not registered, and checks every JSON answer against the schema of its status.
 *
 * A new route: register its handler as usual (api.ts, api-builds.ts, ...), parsing its input with
 * the schemas named here, and add one entry below.
 */
import type { z } from 'zod'
import { BlockRequest, CancelRequest, JobParams, JobsQuery, MemberParams, MemberRequest, PriorityRequest, SyntheticJobRequest } from './api-schemas.ts'
import { LogFileQuery, LogQuery, PullRequest, RunParams, RunRequest } from './api-builds.ts'
import { EventsQuery } from './api-events.ts'
import {
  ConnectedAnswer, JobPriorityAnswer, JobStateSchema, JobStatusAnswer, JobViewSchema, JoinTokenAnswer, OutlineAnswer, PullAnswer, RunAnswer, RunJobsAnswer,
  SessionAnswer, SettingsAnswer, SettingsChangeAnswer, SignInCodeAnswer, StatusResponse, StreamStatsAnswer, SyntheticAnswer, TeamAnswer, TeamViewAnswer, TicketAnswer
} from './api-responses.ts'
import { DigestProvenanceAnswer, DoctorAnswer, ProvenanceAnswer, ResolveAnswer, ShareChangeAnswer, WebhookDeliveriesAnswer } from './api-responses-tools.ts'
import { JobsViewQuery, ResolveQuery, RunsViewQuery } from './api-views.ts'
import { CancelRunRequest, RetryRunRequest } from './api-run-actions.ts'
import { ActionOutput, JobsOutput, RunsOutput, ShowJobOutput, ShowRunOutput, StatusOutput } from './cli-schemas.ts'
import { DigestQuery } from './api-provenance.ts'
import { ActivityReport, ShareRequest } from './api-share.ts'
import { ShareOutput } from './cli-schemas-tools.ts'
import { ArtifactParams } from './api-artifacts.ts'
import { SettingsRequest } from './api-manage.ts'
import { SessionRequest } from './api-session.ts'
import { DashboardAssetParams } from './api-dashboard.ts'

/**
 * What one status of a route answers: a JSON schema, a text body, a file's bytes (a download), a
 * switch to the WebSocket protocol, an HTML page or a file of the dashboard.
 */
export type RouteAnswer = z.ZodType | 'text' | 'binary' | 'websocket' | 'html' | 'file'

/** One route of the control API. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE'
  /** As fastify spells it: `/v1/jobs/:id`. */
  path: string
  /** One line for the OpenAPI file. */
  summary: string
  /** Name of its request body schema in the OpenAPI file's components (with `body`). */
  bodyName?: string
  params?: z.ZodType
  query?: z.ZodType
  body?: z.ZodType
  /** Success answers by status. Every route also answers ApiErrorBody for its 4xx and 5xx. */
  responses: Readonly<Record<number, RouteAnswer>>
  /**
   * Without it, the bearer token or a browser session; `ticket`: a one-time ticket instead;
   * `bearer`: the bearer token only; `none`: no credential (see RouteAuthConfig in api-guard.ts).
   */
  auth?: 'ticket' | 'bearer' | 'none'
  /** Registered only with `--test-hooks`. */
  testOnly?: boolean
}

/** Every route of the control API. */
export const apiRoutes: readonly RouteSpec[] = [
  { method: 'GET', path: '/v1/status', summary: 'This peer, the peers it hears, the queue, the ledger', responses: { 200: StatusResponse } },
  { method: 'GET', path: '/v1/jobs', summary: 'Job states from the fold, newest first', query: JobsQuery, responses: { 200: JobStateSchema.array() } },
  { method: 'GET', path: '/v1/jobs/:id', summary: 'One job with this peer\'s view of it', params: JobParams, responses: { 200: JobViewSchema } },
  { method: 'POST', path: '/v1/jobs/synthetic', summary: 'Announce synthetic jobs', body: SyntheticJobRequest, bodyName: 'SyntheticJobRequest', responses: { 201: SyntheticAnswer } },
  { method: 'POST', path: '/v1/jobs/:id/cancel', summary: 'Ask to cancel a job', params: JobParams, body: CancelRequest, bodyName: 'CancelRequest', responses: { 200: JobStatusAnswer } },
  { method: 'POST', path: '/v1/jobs/:id/retry', summary: 'Retry a failed, cancelled or superseded job', params: JobParams, responses: { 200: JobStatusAnswer } },
  { method: 'POST', path: '/v1/jobs/:id/priority', summary: 'Change a job\'s priority', params: JobParams, body: PriorityRequest, bodyName: 'PriorityRequest', responses: { 200: JobPriorityAnswer } },
  { method: 'GET', path: '/v1/jobs/:id/log', summary: 'A job attempt\'s log as text (live with follow=1; as a file to save with download=1)', params: JobParams, query: LogFileQuery, responses: { 200: 'text' } },
  { method: 'GET', path: '/v1/jobs/:id/outline', summary: 'The structure of a job attempt\'s log', params: JobParams, query: LogQuery, responses: { 200: OutlineAnswer } },
  { method: 'POST', path: '/v1/runs', summary: 'Announce a commit\'s pipeline', body: RunRequest, bodyName: 'RunRequest', responses: { 200: RunAnswer, 201: RunAnswer } },
  { method: 'GET', path: '/v1/runs/:run', summary: 'The jobs of a run', params: RunParams, responses: { 200: RunJobsAnswer } },
  { method: 'POST', path: '/v1/pull', summary: 'Fetch artifacts and write them to a directory', body: PullRequest, bodyName: 'PullRequest', responses: { 200: PullAnswer } },
  { method: 'POST', path: '/v1/team/members', summary: 'Add a team member (admin only)', body: MemberRequest, bodyName: 'MemberRequest', responses: { 200: TeamAnswer } },
  { method: 'DELETE', path: '/v1/team/members/:peer', summary: 'Remove a team member (admin only)', params: MemberParams, responses: { 200: TeamAnswer } },
  { method: 'POST', path: '/v1/events/ticket', summary: 'A one-time ticket for opening the event stream (valid once, for 30 s)', responses: { 201: TicketAnswer } },
  { method: 'GET', path: '/v1/events', summary: 'The event stream (WebSocket; see the stream messages in components)', query: EventsQuery, auth: 'ticket', responses: { 101: 'websocket' } },
  { method: 'GET', path: '/v1/events/stats', summary: 'How the event stream stands: seq, ring, clients, drops', responses: { 200: StreamStatsAnswer } },
  { method: 'POST', path: '/v1/session/code', summary: 'A one-time code and the URL that signs a browser in to the dashboard (valid once, for 60 s)', auth: 'bearer', responses: { 201: SignInCodeAnswer } },
  { method: 'POST', path: '/v1/session', summary: 'Trade a sign-in code for the dashboard\'s session cookie', body: SessionRequest, bodyName: 'SessionRequest', auth: 'none', responses: { 200: SessionAnswer } },
  { method: 'GET', path: '/v1/session', summary: 'Whether the request\'s session cookie is a live session', auth: 'none', responses: { 200: SessionAnswer } },
  { method: 'DELETE', path: '/v1/session', summary: 'Sign this browser out: end its session and clear the cookie', responses: { 200: SessionAnswer } },
  { method: 'GET', path: '/', summary: 'The web dashboard (a page saying how to build it, with 404, when it is not built)', auth: 'none', responses: { 200: 'html' } },
  { method: 'GET', path: '/index.html', summary: 'The web dashboard, as at /', auth: 'none', responses: { 200: 'html' } },
  { method: 'GET', path: '/favicon.ico', summary: 'The dashboard\'s icon when its build has one (else 204: browsers ask for it unprompted)', auth: 'none', responses: { 200: 'file', 204: 'file' } },
  { method: 'GET', path: '/assets/*', summary: 'A file of the built dashboard (content-hashed names, cached for a year)', params: DashboardAssetParams, auth: 'none', responses: { 200: 'file' } },
  { method: 'GET', path: '/v1/share', summary: 'How this peer is lent and whether its user is around', responses: { 200: ShareOutput } },
  { method: 'POST', path: '/v1/share', summary: 'Lend this peer another way from now on, and keep it in the config file (kept says whether that worked)', body: ShareRequest, bodyName: 'ShareRequest', responses: { 200: ShareChangeAnswer } },
  { method: 'POST', path: '/v1/activity', summary: 'The desktop app\'s report of the system\'s idle time', body: ActivityReport, bodyName: 'ActivityReport', responses: { 200: ShareOutput } },
  { method: 'GET', path: '/v1/webhook/deliveries', summary: 'Where the push webhook listens, its queue and its last 50 deliveries', responses: { 200: WebhookDeliveriesAnswer } },
  { method: 'GET', path: '/v1/jobs/:id/provenance', summary: 'A job\'s signed provenance, from this peer\'s ledger', params: JobParams, responses: { 200: ProvenanceAnswer } },
  { method: 'GET', path: '/v1/provenance', summary: 'The provenance of every job that lists an artifact digest', query: DigestQuery, responses: { 200: DigestProvenanceAnswer } },
  { method: 'GET', path: '/v1/doctor', summary: 'The sandbox setting and each live peer\'s clock skew', responses: { 200: DoctorAnswer } },
  { method: 'POST', path: '/v1/pull/stream', summary: 'The same pull, answered as NDJSON progress lines', body: PullRequest, responses: { 200: 'text' } },
  { method: 'GET', path: '/v1/resolve', summary: 'What a job or run id prefix or a pipeline job name names', query: ResolveQuery, responses: { 200: ResolveAnswer } },
  { method: 'GET', path: '/v1/views/status', summary: 'The devq status view: peers (live and offline), queue with estimates', responses: { 200: StatusOutput } },
  { method: 'GET', path: '/v1/views/jobs', summary: 'Job lines, newest first', query: JobsViewQuery, responses: { 200: JobsOutput } },
  { method: 'GET', path: '/v1/views/jobs/:id', summary: 'One job with attempts, artifacts and provenance', params: JobParams, responses: { 200: ShowJobOutput } },
  { method: 'GET', path: '/v1/views/runs', summary: 'Run lines, newest first', query: RunsViewQuery, responses: { 200: RunsOutput } },
  { method: 'GET', path: '/v1/views/runs/:run', summary: 'One run with its jobs and needs', params: RunParams, responses: { 200: ShowRunOutput } },
  { method: 'POST', path: '/v1/runs/:run/retry', summary: 'Retry the failed (and cancelled) jobs of a run', params: RunParams, body: RetryRunRequest, bodyName: 'RetryRunRequest', responses: { 200: ActionOutput } },
  { method: 'POST', path: '/v1/runs/:run/cancel', summary: 'Cancel every job of a run not yet ended', params: RunParams, body: CancelRunRequest, bodyName: 'CancelRunRequest', responses: { 200: ActionOutput } },
  { method: 'GET', path: '/v1/artifacts/:digest', summary: 'One artifact\'s bytes as a download, fetched from a peer first when this peer does not hold it', params: ArtifactParams, responses: { 200: 'binary' } },
  { method: 'GET', path: '/v1/team', summary: 'The team and its listed members with their roles', responses: { 200: TeamViewAnswer } },
  { method: 'POST', path: '/v1/team/token', summary: 'A join token for a new member (as devq team token prints it)', responses: { 200: JoinTokenAnswer } },
  { method: 'GET', path: '/v1/settings', summary: 'The slots and labels this peer lends', responses: { 200: SettingsAnswer } },
  { method: 'POST', path: '/v1/settings', summary: 'Change slots or labels from now on, and keep them in the config file (kept says whether that worked)', body: SettingsRequest, bodyName: 'SettingsRequest', responses: { 200: SettingsChangeAnswer } },
  { method: 'GET', path: '/metrics', summary: 'Prometheus metrics of this node (text exposition format 0.0.4)', responses: { 200: 'text' } },
  { method: 'POST', path: '/v1/test/block', summary: 'Cut this node off from peers (test hooks only)', body: BlockRequest, bodyName: 'BlockRequest', testOnly: true, responses: { 200: ConnectedAnswer } },
  { method: 'POST', path: '/v1/test/unblock', summary: 'Heal a partition (test hooks only)', testOnly: true, responses: { 200: ConnectedAnswer } }
]

/** The key of a route: `GET /v1/jobs/:id`. */
export const routeKey = (method: string, path: string): string => `${method} ${path}`

/** The table by routeKey. */
export const routesByKey: ReadonlyMap<string, RouteSpec> = new Map(apiRoutes.map((r) => [routeKey(r.method, r.path), r]))

/**
 * What is wrong between the routes fastify registered and the table: routes missing from the
 * table, and routes of the table that were not registered. Empty when they agree.
 */
export function routeTableMismatches (registered: readonly { method: string, path: string }[], testHooks: boolean): string[] {
  const seen = new Set(registered.filter((r) => r.method !== 'HEAD').map((r) => routeKey(r.method, r.path)))
  const problems = [...seen].filter((key) => !routesByKey.has(key)).map((key) => `route ${key} is registered but not in the route table (api-routes.ts)`)
  for (const r of apiRoutes) {
    const key = routeKey(r.method, r.path)
    if ((testHooks || r.testOnly !== true) && !seen.has(key)) problems.push(`route ${key} is in the route table but not registered`)
  }
  return problems
}
