import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { queueOrder, systemClock, terminalStatuses, type JobState, type Logger } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ApiRequestError, ApiSocketError } from './errors.ts'
import { ensureMayControl } from './control.ts'
import { checkApi } from './api-check.ts'
import { eventRoutes } from './api-events.ts'
import { createApiServers, listenOnSocket, type ApiServers, type ApiSocket } from './api-socket.ts'
import { buildRoutes, jobView } from './api-builds.ts'
import { shareRoutes } from './api-share.ts'
import type { ShareKeeper } from './share-keeper.ts'
import type { ConfigKeeper } from './config-keeper.ts'
import { manageRoutes } from './api-manage.ts'
import { provenanceRoutes } from './api-provenance.ts'
import { doctorRoutes } from './api-doctor.ts'
import { viewRoutes } from './api-views.ts'
import { answerErrors } from './api-errors.ts'
import { guardRequests } from './api-guard.ts'
import { webhookRoutes, type WebhookView } from './api-webhook.ts'
import { metricsRoutes } from './api-metrics.ts'
import { browserAccess } from './api-browser.ts'
import { BlockRequest, CancelRequest, JobParams, JobsQuery, MemberParams, MemberRequest, noSchemaCompilers, parseRequest, PriorityRequest, SyntheticJobRequest } from './api-schemas.ts'

/** Largest request body the control API reads, in bytes. */
export const MAX_API_BODY = 64 * 1024

/** The status view of this peer, the peers it hears and the queue. */
export function statusOf (node: DevqNode): object {
  const now = node.scheduler.presence()
  const live = node.presence.live(systemClock.monotonicMs(), node.scheduler.policy.leaseMs)
  const counts: Record<string, number> = {}
  for (const job of node.fold.jobs()) counts[job.status] = (counts[job.status] ?? 0) + 1
  const queue = queueOrder(node.fold.openJobs(), Date.now(), node.scheduler.policy).slice(0, 100)
  return {
    peer: { id: node.peerId, addresses: node.mesh.addresses(), status: now.status, slots: now.slots, freeSlots: now.freeSlots, labels: now.labels, shareMode: now.shareMode, running: node.scheduler.executing() },
    team: { name: node.team.name, mode: node.team.mode, members: node.fold.team().members },
    peers: live.map((p) => ({ id: p.peer, status: p.status, slots: p.slots, freeSlots: p.freeSlots, load: p.load, labels: p.labels, shareMode: p.shareMode, userActive: p.userActive, version: p.version })),
    connected: node.mesh.connectedPeers(),
    queue: queue.map((j) => ({ id: j.id, priority: j.priority, attempt: j.attempt, waitingMs: Date.now() - j.announcedAt })),
    counts,
    ledger: { size: node.ledger.size(), stateHash: node.fold.stateHash(), versionVector: node.ledger.versionVector(), stats: node.ledger.stats(), faulty: node.ledger.faulty() },
    mesh: node.mesh.stats()
  }
}

function jobOr404 (node: DevqNode, id: string): JobState {
  const job = node.fold.job(id)
  if (job === undefined) throw new ApiRequestError(`no job ${id}`, { status: 404, detail: 'unknown job' })
  return job
}

function routes (app: FastifyInstance, node: DevqNode): void {
  const append = node.ledger.append.bind(node.ledger, node.signer)
  app.get('/v1/status', async () => statusOf(node))
  app.get('/v1/jobs', async (req) => {
    const q = parseRequest(JobsQuery, req.query, 'query')
    const jobs = [...node.fold.jobs()].filter((j) => q.status === undefined || j.status === q.status)
    return jobs.sort((a, b) => b.announceLamport - a.announceLamport).slice(0, q.limit)
  })
  app.get('/v1/jobs/:id', async (req) => {
    return jobView(node, jobOr404(node, parseRequest(JobParams, req.params, 'path').id))
  })
  app.post('/v1/jobs/synthetic', async (req, reply) => {
    const r = parseRequest(SyntheticJobRequest, req.body, 'body')
    // Appends made together share one ledger write and leave as few gossip messages.
    const events = await Promise.all(Array.from({ length: r.count }, async () => await append('job.announced', {
      repo: r.repo, ref: 'synthetic', commit: randomBytes(20).toString('hex'), pipelineJob: 'synthetic', priority: r.priority, labels: r.labels,
      retry: r.retry, timeoutMs: r.timeoutMs, cache: false, sensitive: false, source: { addrs: [] },
      synthetic: { durationMs: r.durationMs, exitCode: r.exitCode, outputBytes: r.outputBytes }, ...(r.group === undefined ? {} : { group: r.group })
    })))
    return await reply.code(201).send({ id: events[0]!.id, ids: events.map((e) => e.id) })
  })
  app.post('/v1/jobs/:id/cancel', async (req) => {
    const job = jobOr404(node, parseRequest(JobParams, req.params, 'path').id)
    const body = parseRequest(CancelRequest, req.body, 'body')
    ensureMayControl(node, job, 'cancel')
    if (terminalStatuses.has(job.status)) throw new ApiRequestError(`job ${job.id} is already ${job.status}`, { status: 409, detail: 'terminal' })
    await append('job.cancel_requested', { job: job.id, ...(body.reason === undefined ? {} : { reason: body.reason }) })
    return { id: job.id, status: node.fold.job(job.id)?.status }
  })
  app.post('/v1/jobs/:id/retry', async (req) => {
    const job = jobOr404(node, parseRequest(JobParams, req.params, 'path').id)
    ensureMayControl(node, job, 'retry')
    if (job.status === 'skipped') throw new ApiRequestError(`job ${job.id} was skipped (${job.skippedBecause ?? 'a job it needs did not succeed'}); retry that job instead and this one follows`, { status: 409, detail: 'not retryable' })
    if (!['failed', 'cancelled', 'superseded'].includes(job.status)) throw new ApiRequestError(`job ${job.id} is ${job.status}; only failed, cancelled or superseded jobs are retried`, { status: 409, detail: 'not retryable' })
    await append('job.retry_requested', { job: job.id })
    return { id: job.id, status: node.fold.job(job.id)?.status }
  })
  app.post('/v1/jobs/:id/priority', async (req) => {
    const job = jobOr404(node, parseRequest(JobParams, req.params, 'path').id)
    ensureMayControl(node, job, 'change the priority of')
    if (terminalStatuses.has(job.status)) throw new ApiRequestError(`job ${job.id} is already ${job.status}; its priority no longer matters`, { status: 409, detail: 'terminal' })
    await append('job.priority_changed', { job: job.id, priority: parseRequest(PriorityRequest, req.body, 'body').priority })
    return { id: job.id, priority: node.fold.job(job.id)?.priority }
  })
  app.post('/v1/team/members', async (req) => {
    const m = parseRequest(MemberRequest, req.body, 'body')
    if (node.fold.team().members[node.peerId] !== 'admin') throw new ApiRequestError('only a team admin adds members', { status: 403, detail: 'not admin' })
    await append('team.member_added', m)
    return node.fold.team()
  })
  app.delete('/v1/team/members/:peer', async (req) => {
    const { peer } = parseRequest(MemberParams, req.params, 'path')
    if (node.fold.team().members[node.peerId] !== 'admin') throw new ApiRequestError('only a team admin removes members', { status: 403, detail: 'not admin' })
    await append('team.member_removed', { peer, upToSeq: node.ledger.versionVector()[peer] ?? 0 })
    return node.fold.team()
  })
}

/**
 * Fault hooks for tests and the chaos suite, only with `--test-hooks`: cut this node off from
 * given peers (a partition) and heal.
 */
function testRoutes (app: FastifyInstance, node: DevqNode): void {
  app.post('/v1/test/block', async (req) => {
    await node.mesh.block(parseRequest(BlockRequest, req.body, 'body').peers)
    return { connected: node.mesh.connectedPeers() }
  })
  app.post('/v1/test/unblock', async () => {
    node.mesh.unblock()
    return { connected: node.mesh.connectedPeers() }
  })
}

/** What the control API serves and where it logs. */
export interface ApiComponents {
  node: DevqNode
  /** Gets every unexpected error with its request id (clients see only the id). */
  logger: Logger
  /** The push webhook, when this node runs one. */
  webhook?: WebhookView
  /** Keeps a share mode set through the API in the config file; without it the mode is not kept. */
  shareKeeper?: ShareKeeper
  /** Keeps slots and labels set through the API in the config file (the one `shareKeeper` writes through); without it they are not kept. */
  configKeeper?: ConfigKeeper
}

/** Where the control API listens and what it answers. */
export interface ApiInit {
  /** The bearer token every request over TCP must carry (api.token). */
  token: string
  /** A loopback address: 127.0.0.1 or ::1. */
  host: string
  /** 0 picks a free port. */
  port: number
  /** The unix socket to listen on as well (see api-socket.ts); none without it. */
  socketPath?: string
  /** More `Host` values the API answers to besides loopback (see api-guard.ts). */
  allowedHosts?: readonly string[]
  /** More browser origins that may call it besides its own dashboard. */
  allowedOrigins?: readonly string[]
  /** The fault routes under /v1/test/ (partitions), for tests and the chaos suite only. */
  testHooks?: boolean
  /** Check the routes and every JSON answer against the route table (api-check.ts): tests only. */
  check?: boolean
  /** The built dashboard served at `/` (api-dashboard.ts); default apps/desktop/dist/renderer of this tree. */
  dashboardDir?: string
}

/** The running API: fastify, its TCP URL and its unix socket (when it listens on one). */
export interface RunningApi {
  app: FastifyInstance
  url: string
  socket?: string
}

/**
 * The local control API: fastify on loopback and on the unix socket, every route behind the Host
 * and Origin checks and the bearer token (or a browser session) over TCP (api-guard.ts), and the
 * web dashboard at `/` (api-browser.ts).
 */
export async function startApi (components: ApiComponents, init: ApiInit): Promise<RunningApi> {
  const { node, logger } = components
  const servers = createApiServers(init.socketPath !== undefined)
  const app = Fastify({ bodyLimit: MAX_API_BODY, logger: false, genReqId: () => randomBytes(8).toString('hex'), serverFactory: servers.serverFactory, schemaController: noSchemaCompilers })
  const listening = (): number => {
    const addr = app.server.address()
    return typeof addr === 'object' && addr !== null ? addr.port : init.port
  }
  const check = init.check === true ? checkApi(app) : undefined
  // First: @fastify/websocket's hook marks upgrade requests before the guard may refuse one.
  await eventRoutes(app, { node, logger, viaSocket: servers.viaSocket })
  const url = (): string => `http://${init.host.includes(':') ? `[${init.host}]` : init.host}:${listening()}`
  const browser = browserAccess(app, { apiUrl: url, logger, ...(init.dashboardDir === undefined ? {} : { dashboardDir: init.dashboardDir }) })
  guardRequests(app, { token: init.token, port: listening, allowedHosts: init.allowedHosts ?? [], allowedOrigins: init.allowedOrigins ?? [], viaSocket: servers.viaSocket, signedIn: browser.signedIn })
  answerErrors(app, logger)
  routes(app, node)
  buildRoutes(app, node)
  shareRoutes(app, node, components.shareKeeper)
  webhookRoutes(app, components.webhook)
  provenanceRoutes(app, node)
  doctorRoutes(app, node)
  viewRoutes(app, node, logger)
  metricsRoutes(app, node)
  manageRoutes(app, { node, logger, keeper: components.configKeeper })
  if (init.testHooks === true) testRoutes(app, node)
  // Set once listening; the hook must be added before the app is ready.
  const unix: { socket?: ApiSocket } = {}
  app.addHook('onClose', async () => { await unix.socket?.close() })
  await app.ready()
  check?.verifyRoutes(init.testHooks === true)
  await app.listen({ host: init.host, port: init.port })
  const socket = await listenOnSocketIfPossible(servers, init.socketPath, logger).catch(async (err: unknown) => {
    await app.close()
    throw err
  })
  if (socket !== undefined) unix.socket = socket
  return { app, url: url(), ...(socket === undefined ? {} : { socket: socket.path }) }
}

/** The unix socket, or undefined (with a warning) when its path is too long for one: TCP still serves. */
async function listenOnSocketIfPossible (servers: ApiServers, path: string | undefined, logger: Logger): Promise<ApiSocket | undefined> {
  const server = servers.socketServer()
  if (path === undefined || server === undefined) return undefined
  try {
    return await listenOnSocket(server, path)
  } catch (err) {
    if (!(err instanceof ApiSocketError) || err.data.reason !== 'too_long') throw err
    logger.warn({ err }, 'the control API listens on TCP only')
    return undefined
  }
}
