/**
 * Control API routes for real builds: announcing a run from a repository, a run's jobs, a job's
 * log (live or after the job), and pulling artifacts from whichever peer has them.
 */
import { mkdir } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { isAbsolute, join, resolve } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import { Digest, EventId, Priority, type ArtifactRef, type ByteStream, type JobState } from '@devq/core'
import { createGroupParser, ensureArtifact, exportArtifact, fetchLog, fileOf, sourcesOf } from '@devq/runner'
import type { DevqNode } from './node.ts'
import { ApiRequestError } from './errors.ts'
import { parseRequest } from './api-schemas.ts'
import { roomFor } from './room.ts'
import { attachment } from './attachment.ts'

export const RunRequest = z.strictObject({
  dir: z.string().min(1).max(4096).refine(isAbsolute, 'an absolute path'),
  sha: z.string().min(1).max(256).optional(),
  /** `''` announces the commit detached (as `devq run` on a detached HEAD does). */
  ref: z.string().max(256).optional(),
  jobs: z.array(z.string().min(1).max(200)).max(256).optional(),
  priority: Priority.optional(),
  again: z.boolean().optional()
})
export const RunParams = z.strictObject({ run: z.string().regex(/^[0-9a-f]{32}$/) })
export const LogQuery = z.strictObject({
  attempt: z.coerce.number().int().min(1).max(1000).optional(),
  follow: z.enum(['0', '1', 'true', 'false']).optional(),
  from: z.coerce.number().int().min(0).optional()
})
/** The query of `GET /v1/jobs/:id/log`: `download=1` asks for it as a file to save. */
export const LogFileQuery = LogQuery.extend({ download: z.enum(['0', '1', 'true', 'false']).optional() })
export const PullRequest = z.strictObject({
  job: EventId.optional(),
  digest: Digest.optional(),
  out: z.string().min(1).max(4096).refine(isAbsolute, 'an absolute path')
}).refine((r) => (r.job === undefined) !== (r.digest === undefined), 'name exactly one of job or digest')

function jobOr404 (node: DevqNode, id: string): JobState {
  const job = node.fold.job(id)
  if (job === undefined) throw new ApiRequestError(`no job ${id}`, { status: 404, detail: 'unknown job' })
  return job
}

/** The jobs of one run, in announce order. */
export function runJobs (node: DevqNode, run: string): JobState[] {
  return [...node.fold.jobs()].filter((j) => j.run === run).sort((a, b) => a.announceLamport - b.announceLamport)
}

/** What a job looks like in the API: its state plus this peer's local view of it. */
export function jobView (node: DevqNode, job: JobState): object {
  const runner = job.attempts.find((a) => a.n === job.attempt)?.runner
  const activity = runner === undefined
    ? undefined
    : (runner === node.peerId ? node.runner.local().activity : node.presence.get(runner)?.activity)?.find((a) => a.job === job.id && a.attempt === job.attempt)
  return { ...job, arrivedAt: node.arrivals.of(job.id), activity, pulled: node.origin.pullOf(job.id) }
}

/**
 * Which artifacts `req` names: all of a job's, or the ref with that digest (as the first job found
 * listing it names it), with the jobs that list them. Throws ApiRequestError: 404 for an unknown job
 * or a digest no job lists, 409 for a job without a result.
 */
export function refsOf (node: DevqNode, req: { job?: string, digest?: string }): { refs: ArtifactRef[], jobs: JobState[] } {
  if (req.job !== undefined) {
    const job = jobOr404(node, req.job)
    if (job.result === undefined) throw new ApiRequestError(`job ${job.id} is ${job.status} and has no result yet`, { status: 409, detail: 'no result' })
    return { refs: job.result.artifacts, jobs: [job] }
  }
  const jobs = node.runner.access.jobsWithArtifact(req.digest!)
  const ref = jobs[0]?.result?.artifacts.find((a) => a.digest === req.digest)
  if (ref === undefined) throw new ApiRequestError(`no job in the ledger lists ${req.digest}`, { status: 404, detail: 'unknown artifact' })
  return { refs: [ref], jobs }
}

/** What a pull reports while it works (for a progress display); every hook is optional. */
export interface PullProgress {
  /** The artifacts it will bring, once the request checked out and there is room. */
  planned?: (refs: readonly ArtifactRef[]) => void
  /** Wraps each stream to a peer an artifact is fetched over (to count its bytes). */
  stream?: (stream: ByteStream, ref: ArtifactRef) => ByteStream
  /** One artifact is in this peer's store (fetched, or held already). */
  stored?: (ref: ArtifactRef) => void
}

/** Brings one artifact into this peer's store, verified; `wrap` sees each stream to a peer it is fetched over. */
export type ArtifactFetch = (ref: ArtifactRef, wrap?: (stream: ByteStream, ref: ArtifactRef) => ByteStream) => Promise<void>

/**
 * How to bring `refs` (listed by `jobs`) into this peer's store: from the peers that may have them
 * (each job's builder, its origin, then any live peer; the serving peer decides who may have a
 * sensitive job's artifacts). Throws ApiRequestError 507 when they do not fit, before any
 * transfer; the fetch throws ArtifactError when no peer could give one. Held ones only count as used.
 */
export async function artifactFetch (node: DevqNode, refs: readonly ArtifactRef[], jobs: readonly JobState[]): Promise<ArtifactFetch> {
  const live = node.presence.live(performance.now(), node.config.leaseMs).map((p) => p.peer)
  const sources = [...new Set(jobs.flatMap((j) => sourcesOf(j, live, node.peerId)))]
  const full = await roomFor(node.runner.artifacts, node.config.dataDir, refs, node.config.artifactBudgetMb * 1024 * 1024)
  if (full !== undefined) throw new ApiRequestError(full, { status: 507, detail: 'no room' })
  return async (ref, wrap) => {
    const dial = async (p: string): Promise<ByteStream> => {
      const stream = await node.mesh.openStream(p, 'artifacts')
      return wrap === undefined ? stream : wrap(stream, ref)
    }
    await ensureArtifact({ view: node.fold, store: node.runner.artifacts, dial, peers: () => live, selfId: node.peerId }, ref, sources)
  }
}

/** `POST /v1/pull`: fetches the artifacts a request names into the store and writes them to `out`. */
export async function pull (node: DevqNode, body: unknown, progress: PullProgress = {}): Promise<{ files: object[] }> {
  const req = parseRequest(PullRequest, body, 'body')
  const { refs, jobs } = refsOf(node, req)
  const fetch = await artifactFetch(node, refs, jobs)
  progress.planned?.(refs)
  await mkdir(req.out, { recursive: true })
  const files = []
  for (const ref of refs) {
    await fetch(ref, progress.stream)
    progress.stored?.(ref)
    const path = join(resolve(req.out), fileOf(ref))
    await exportArtifact(node.runner.artifacts, ref.digest, path, { kind: ref.kind })
    files.push({ name: ref.name, kind: ref.kind, digest: ref.digest, size: ref.size, path })
  }
  return { files }
}

/**
 * The log of `attempt` of `job` from byte `from`: from this peer's store when it holds it, else
 * relayed from the attempt's runner; live with `follow`, until the log closes or `signal` aborts.
 * Throws ApiRequestError (404) when the attempt has no runner yet.
 */
export async function logSource (node: DevqNode, job: JobState, attempt: number, from: number, follow: boolean, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
  if (await node.runner.logs.has(job.id, attempt)) {
    return follow ? node.runner.logs.follow(job.id, attempt, from, signal) : node.runner.logs.read(job.id, attempt, from)
  }
  const runner = job.attempts.find((a) => a.n === attempt)?.runner
  if (runner === undefined) throw new ApiRequestError(`job ${job.id} has no attempt ${attempt} yet`, { status: 404, detail: 'no attempt' })
  // This peer ran it and stored nothing: the attempt printed nothing (a synthetic job without output).
  if (runner === node.peerId) return Readable.from([])
  return remoteLog(node, runner, job.id, attempt, from, follow, signal)
}

async function sendLog (node: DevqNode, reply: FastifyReply, job: JobState, q: z.infer<typeof LogFileQuery>): Promise<void> {
  const attempt = q.attempt ?? job.attempt
  const source = await logSource(node, job, attempt, q.from ?? 0, q.follow === '1' || q.follow === 'true')
  if (q.download === '1' || q.download === 'true') reply.header('content-disposition', attachment(`${job.pipelineJob}-${job.id.slice(0, 8)}-${attempt}.log`))
  return await reply.header('content-type', 'text/plain; charset=utf-8').send(Readable.from(source))
}

/** A log held by another peer, relayed chunk by chunk (live with `follow`), never buffered whole. */
async function * remoteLog (node: DevqNode, runner: string, job: string, attempt: number, from: number, follow: boolean, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = []
  let wake: (() => void) | undefined
  let done = false
  let failure: unknown
  let resume: (() => void) | undefined
  const stop = new AbortController()
  const fetching = fetchLog({
    dial: async () => await node.mesh.openStream(runner, 'logs'), job, attempt, from, follow, signal: stop.signal,
    // Waits until the reply took the chunk, so a slow client slows the runner, not this peer's memory.
    onChunk: async (chunk) => { queue.push(chunk); wake?.(); await new Promise<void>((resolve) => { resume = resolve }) }
  }).then(() => { done = true }, (err: unknown) => { failure = err; done = true }).finally(() => wake?.())
  const onAbort = (): void => { done = true; stop.abort(); wake?.() }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    while (true) {
      const chunk = queue.shift()
      if (chunk !== undefined) {
        yield chunk
        resume?.()
        continue
      }
      if (done) break
      await new Promise<void>((resolve) => { wake = resolve })
    }
  } finally {
    // The client went away (or all was sent): stop reading from the runner.
    signal?.removeEventListener('abort', onAbort)
    stop.abort()
    resume?.()
  }
  await fetching
  if (failure !== undefined) throw failure
}

/** Registers the build routes. */
export function buildRoutes (app: FastifyInstance, node: DevqNode): void {
  app.post('/v1/runs', async (req, reply) => {
    const run = await node.runs.announce(parseRequest(RunRequest, req.body, 'body'))
    return await reply.code(run.existing ? 200 : 201).send(run)
  })
  app.get('/v1/runs/:run', async (req) => {
    const { run } = parseRequest(RunParams, req.params, 'path')
    const jobs = runJobs(node, run)
    if (jobs.length === 0) throw new ApiRequestError(`no run ${run}`, { status: 404, detail: 'unknown run' })
    return { run, jobs: jobs.map((j) => jobView(node, j)) }
  })
  app.get('/v1/jobs/:id/log', async (req, reply) => {
    const job = jobOr404(node, parseRequest(z.strictObject({ id: EventId }), req.params, 'path').id)
    await sendLog(node, reply, job, parseRequest(LogFileQuery, req.query, 'query'))
  })
  app.get('/v1/jobs/:id/outline', async (req) => {
    const job = jobOr404(node, parseRequest(z.strictObject({ id: EventId }), req.params, 'path').id)
    const attempt = parseRequest(LogQuery, req.query, 'query').attempt ?? job.attempt
    if (!await node.runner.logs.has(job.id, attempt)) throw new ApiRequestError(`this peer holds no log of attempt ${attempt} of job ${job.id}`, { status: 404, detail: 'no log' })
    // The structure is parsed while streaming, so a 64 MiB log is never held whole.
    const parser = createGroupParser()
    for await (const chunk of node.runner.logs.read(job.id, attempt)) parser.push(chunk)
    return { job: job.id, attempt, ...parser.end() }
  })
  app.post('/v1/pull', async (req) => await pull(node, req.body))
}
