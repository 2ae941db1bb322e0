/**
 * The control API's OpenAPI 3.1 document, generated from the route table (api-routes.ts) and its
 * zod schemas, so it cannot drift from what the node checks. `npm run openapi` writes it to
 * doc/openapi.json; a test fails when the committed file is stale.
 */
import { z } from 'zod'
import { apiRoutes, type RouteAnswer, type RouteSpec } from './api-routes.ts'
import * as responses from './api-responses.ts'
import * as stream from './event-schemas.ts'
import { DEVQ_VERSION } from './version.ts'
import { SESSION_COOKIE } from './api-session.ts'

type Json = Record<string, unknown>
type Io = 'input' | 'output'

/** Named schemas of answers and stream messages: the document's components. */
const named: Record<string, z.ZodType> = {
  ApiError: responses.ApiErrorBody,
  Status: responses.StatusResponse,
  JobState: responses.JobStateSchema,
  JobView: responses.JobViewSchema,
  JobStatusAnswer: responses.JobStatusAnswer,
  JobPriorityAnswer: responses.JobPriorityAnswer,
  SyntheticAnswer: responses.SyntheticAnswer,
  TeamAnswer: responses.TeamAnswer,
  RunAnswer: responses.RunAnswer,
  RunJobsAnswer: responses.RunJobsAnswer,
  OutlineAnswer: responses.OutlineAnswer,
  PullAnswer: responses.PullAnswer,
  ConnectedAnswer: responses.ConnectedAnswer,
  TicketAnswer: responses.TicketAnswer,
  SignInCodeAnswer: responses.SignInCodeAnswer,
  SessionAnswer: responses.SessionAnswer,
  StreamStats: responses.StreamStatsAnswer,
  TeamView: responses.TeamViewAnswer,
  JoinTokenAnswer: responses.JoinTokenAnswer,
  Settings: responses.SettingsAnswer,
  SettingsChangeAnswer: responses.SettingsChangeAnswer,
  JobSummary: stream.JobSummary,
  RunSummary: stream.RunSummary,
  PeerSummary: stream.PeerSummary,
  JobChangedEvent: stream.JobChangedEvent,
  JobRemovedEvent: stream.JobRemovedEvent,
  RunChangedEvent: stream.RunChangedEvent,
  PeerChangedEvent: stream.PeerChangedEvent,
  StreamEvent: stream.StreamEventSchema,
  HelloMessage: stream.HelloMessage,
  ResyncMessage: stream.ResyncMessage,
  LogAppendedMessage: stream.LogAppendedMessage,
  LogEndedMessage: stream.LogEndedMessage,
  ErrorMessage: stream.ErrorMessage,
  ServerMessage: stream.ServerMessage,
  ClientMessage: stream.ClientMessage
}

const REF = '#/components/schemas/'

/** Rewrites zod's local `#/$defs/X` references to the document's components. */
function componentRefs (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(componentRefs)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', REF) : componentRefs(v)]))
}

function registryOf (schemas: Record<string, z.ZodType>): z.core.$ZodRegistry<{ id: string }> {
  const registry = z.registry<{ id: string }>()
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id })
  return registry
}

/** Converts schemas to JSON Schema, referring to the named ones of `registry`. */
function converter (registry: z.core.$ZodRegistry<{ id: string }>, io: Io): (schema: z.ZodType) => Json {
  return (schema) => {
    const id = registry.get(schema)?.id
    if (id !== undefined) return { $ref: REF + id }
    const json = z.toJSONSchema(schema, { metadata: registry, io, unrepresentable: 'any' }) as Json
    delete json.$schema
    delete json.$defs
    return componentRefs(json) as Json
  }
}

function componentsOf (registry: z.core.$ZodRegistry<{ id: string }>, io: Io): Record<string, Json> {
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => REF + id }) as { schemas: Record<string, Json> }
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => {
    const { $schema: _s, $id: _i, ...rest } = s
    return [id, rest]
  }))
}

/** `GET /v1/jobs/:id` -> `getJobsId`; `GET /` -> `getRoot`. */
function operationId (route: RouteSpec): string {
  const words = route.path.split('/').filter((p) => p !== '' && p !== 'v1').map((p) => p.replace(/^:/, ''))
  if (words.length === 0) words.push('root')
  return route.method.toLowerCase() + words.map((w) => w.split(/[^a-zA-Z0-9]/).map((x) => x.charAt(0).toUpperCase() + x.slice(1)).join('')).join('')
}

function parameters (schema: z.ZodType | undefined, where: 'path' | 'query', toJson: (s: z.ZodType) => Json): Json[] {
  if (schema === undefined) return []
  const json = toJson(schema) as { properties?: Record<string, Json>, required?: string[] }
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s }))
}

function answer (status: number, a: RouteAnswer, toJson: (s: z.ZodType) => Json): Json {
  if (status === 204) return { description: 'No Content' }
  if (a === 'websocket') return { description: 'Switching Protocols: the event stream (messages: ServerMessage from the node, ClientMessage to it)' }
  if (a === 'text') return { description: 'The log as text', content: { 'text/plain': { schema: { type: 'string' } } } }
  if (a === 'binary') return { description: 'The bytes, with Content-Disposition: attachment (the file name), Content-Length and the digest (Digest, devq-artifact-digest)', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }
  if (a === 'html') return { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } }
  if (a === 'file') return { description: 'The file, with its own content type', content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }
  return { description: status === 201 ? 'Created' : 'OK', content: { 'application/json': { schema: toJson(a) } } }
}

function operation (route: RouteSpec, input: (s: z.ZodType) => Json, output: (s: z.ZodType) => Json): Json {
  const params = [...parameters(route.params, 'path', input), ...parameters(route.query, 'query', input)]
  const op: Json = { operationId: operationId(route), summary: route.summary }
  if (route.testOnly === true) op.description = 'Served only by a node started with --test-hooks.'
  if (route.auth === 'none') {
    op.security = []
    op.description = 'Needs no credential; the Host and Origin checks still apply.'
  }
  if (route.auth === 'bearer') {
    op.security = [{ bearer: [] }]
    op.description = 'The bearer token (or the unix socket) only: a browser session cannot take it.'
  }
  if (route.auth === 'ticket') {
    op.security = [{ ticket: [] }]
    op.description = 'A WebSocket upgrade. Over TCP it needs `ticket` (from POST /v1/events/ticket) instead of the bearer token; a missing, spent or expired ticket is a 401 before the upgrade.'
    op['x-devq-messages'] = { server: { $ref: `${REF}ServerMessage` }, client: { $ref: `${REF}ClientMessage` } }
  }
  if (params.length > 0) op.parameters = params
  if (route.body !== undefined) op.requestBody = { required: true, content: { 'application/json': { schema: input(route.body) } } }
  op.responses = {
    ...Object.fromEntries(Object.entries(route.responses).map(([status, a]) => [status, answer(Number(status), a, output)])),
    default: { description: 'An error: a 4xx naming the cause (400 with data.field for a bad field), 502 when another peer failed, 500 with a request id', content: { 'application/json': { schema: { $ref: `${REF}ApiError` } } } }
  }
  return op
}

/** A fastify path as OpenAPI spells it: `/v1/jobs/:id` -> `/v1/jobs/{id}`, `/assets/*` -> `/assets/{path}`. */
export function openApiPath (path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\/\*$/, '/{path}')
}

/** The OpenAPI document as an object. */
export function openApiDocument (): Json {
  const bodies = registryOf(Object.fromEntries(apiRoutes.filter((r) => r.body !== undefined && r.bodyName !== undefined).map((r) => [r.bodyName!, r.body!])))
  const answers = registryOf(named)
  const input = converter(bodies, 'input')
  const output = converter(answers, 'output')
  const paths: Record<string, Json> = {}
  for (const route of apiRoutes) {
    const path = openApiPath(route.path)
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route, input, output) }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'DevQ control API',
      version: DEVQ_VERSION,
      description: 'The local control API of a devq-node, on 127.0.0.1 (bearer token from api.token, or the session cookie of a browser signed in to the dashboard) and on the unix socket api.sock in its runtime directory (no token: the socket is 0600). See packages/node/README.md for the Host and Origin checks, the dashboard\'s sign-in and the event stream protocol.'
    },
    servers: [{ url: 'http://127.0.0.1:{port}', variables: { port: { default: '0', description: 'the API port: --api-port, or the one node.json names when it picked a free one' } } }],
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The contents of api.token in the data dir' },
        ticket: { type: 'apiKey', in: 'query', name: 'ticket', description: 'A one-time ticket from POST /v1/events/ticket, valid once for 30 s' },
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A browser session from POST /v1/session; a POST, PUT, PATCH or DELETE with it must carry the API\'s own Origin' }
      },
      schemas: { ...componentsOf(bodies, 'input'), ...componentsOf(answers, 'output') }
    }
  }
}

/** The document as doc/openapi.json holds it. */
export function renderOpenApi (): string {
  return JSON.stringify(openApiDocument(), null, 2) + '\n'
}
