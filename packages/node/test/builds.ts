/** Helpers for tests that build real repositories on a grid of devq-node processes. */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { execa } from 'execa'
import { waitFor, type NodeProc } from './harness.ts'

export interface ArtifactView { name: string, kind: string, file?: string, digest: string, size: number }
export interface AttemptView { n: number, runner: string, outcome?: string, failure?: string, reason?: string, exitCode?: number | null, startedAt?: number, finishedAt?: number }
export interface BuildJob {
  id: string
  pipelineJob: string
  status: string
  labels: string[]
  activity?: { phase: string, step?: string, bytes?: number, objects?: number }
  attempt: number
  origin: string
  attempts: AttemptView[]
  skippedBecause?: string
  result?: { status: string, by: string, artifacts: ArtifactView[], logDigest: string | null, cachedFrom?: string, fetched?: { bytes: number, objects: number } }
  pulled?: { state: string, detail?: string }
}
export interface RunAnswer { run: string, repo: string, commit: string, tree: string, jobs: { id: string, pipelineJob: string }[] }

const ended = new Set(['succeeded', 'failed', 'cancelled', 'superseded', 'cached', 'skipped'])

/** Whether a job in `status` has ended (it will not run again unless retried by hand). */
export const hasEnded = (status: string): boolean => ended.has(status)

/** Announces the commit of `dir` from `node` (POST /v1/runs). */
export async function startRun (node: NodeProc, dir: string, extra: Record<string, unknown> = {}): Promise<RunAnswer> {
  return await node.post<RunAnswer>('/v1/runs', { dir, ...extra })
}

/** The jobs of a run by pipeline job id, once `done` holds for all (default: every job ended). */
export async function waitRun (node: NodeProc, run: string, timeoutMs = 120_000, done: (j: BuildJob) => boolean = (j) => ended.has(j.status)): Promise<Map<string, BuildJob>> {
  const jobs = await waitFor(`run ${run} to end`, async () => {
    const r = await node.get<{ jobs: BuildJob[] }>(`/v1/runs/${run}`)
    return r.jobs.every(done) ? r.jobs : undefined
  }, timeoutMs, 250)
  return new Map(jobs.map((j) => [j.pipelineJob, j]))
}

/** Runs and waits: the run's jobs by pipeline job id. */
export async function build (node: NodeProc, dir: string, extra: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<{ run: RunAnswer, jobs: Map<string, BuildJob> }> {
  const run = await startRun(node, dir, extra)
  return { run, jobs: await waitRun(node, run.run, timeoutMs) }
}

/** GET of a job's log from `node` (`query` such as `attempt=2&follow=1`); throws on an error status. */
async function logResponse (node: NodeProc, job: string, query: string): Promise<Response> {
  const token = (await readFile(`${node.dataDir}/api.token`, 'utf8')).trim()
  const res = await fetch(`${node.api}/v1/jobs/${job}/log${query === '' ? '' : `?${query}`}`, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`log of ${job}: ${res.status} ${await res.text()}`)
  return res
}

/** The bytes of a job's log as `node` serves it. */
export async function logBytes (node: NodeProc, job: string, attempt?: number): Promise<Buffer> {
  return Buffer.from(await (await logResponse(node, job, attempt === undefined ? '' : `attempt=${attempt}`)).arrayBuffer())
}

/** The text of a job's log as `node` serves it. */
export async function logOf (node: NodeProc, job: string, attempt?: number): Promise<string> {
  return (await logBytes(node, job, attempt)).toString('utf8')
}

/** A log followed live through the control API (`follow=1`): the text so far, read on demand. */
export interface FollowedLog {
  /** Reads until `check` holds for the text so far and returns it; throws if the log ends first. */
  until(what: string, check: (text: string) => boolean): Promise<string>
  /** Reads to the end of the log (the server ends it when the attempt's log is closed) and returns all of it. */
  rest(): Promise<string>
  /** Stops reading. */
  close(): Promise<void>
}

/** Starts following the log of `job`'s current attempt through `node`. */
export async function followLog (node: NodeProc, job: string): Promise<FollowedLog> {
  const reader = (await logResponse(node, job, 'follow=1')).body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let ended = false
  const more = async (): Promise<void> => {
    const { done, value } = await reader.read()
    if (done) ended = true
    text += decoder.decode(value, { stream: !done })
  }
  return {
    async until (what, check) {
      while (!check(text)) {
        if (ended) throw new Error(`the log ended before ${what}: ${text}`)
        await more()
      }
      return text
    },
    async rest () {
      while (!ended) await more()
      return text
    },
    close: async () => { await reader.cancel().catch(() => {}) }
  }
}

/** Waits until `node`, the origin of `id`, holds the job's artifacts (throws if its pull failed). */
export async function waitPulled (node: NodeProc, id: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`the artifacts of ${id} to reach ${node.peerId}`, async () => {
    const j = await node.get<BuildJob>(`/v1/jobs/${id}`)
    if (j.pulled?.state === 'failed') throw new Error(`pull of ${id} failed: ${j.pulled.detail ?? ''}`)
    return j.pulled?.state === 'done'
  }, timeoutMs)
}

/** Pids of processes whose environment names `jobId` (every step gets DEVQ_JOB_ID), of one attempt if given. */
export async function processesOf (jobId: string, attempt?: number): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const environ = (await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '')).split('\0')
    if (environ.includes(`DEVQ_JOB_ID=${jobId}`) && (attempt === undefined || environ.includes(`DEVQ_ATTEMPT=${attempt}`))) pids.push(Number(entry))
  }
  return pids
}

export async function sha256File (path: string): Promise<string> {
  return `sha256:${createHash('sha256').update(await readFile(path)).digest('hex')}`
}

/** Bytes of a full (not thin) pack of everything `commit` needs, as `git pack-objects` writes it. */
export async function fullPackBytes (dir: string, commit: string): Promise<number> {
  const { stdout } = await execa('git', ['-C', dir, 'pack-objects', '--revs', '--stdout', '-q'], { input: `${commit}\n`, encoding: 'buffer' })
  return stdout.length
}
