/**
 * The DevqClient as control API calls: which path and method each of its methods is. The
 * browser's client (renderer/api/http-client.ts: fetch with the session cookie) and Electron main
 * (the node's ApiClient with its token) supply the transport; the paths live here alone.
 */
import type { Answer, DevqClient } from '../renderer/api/client.ts'
import type { JobDetail, JobLine, LogOutline, NodeSettings, RunDetail, RunLine, ShareView, StatusView, TeamView } from '../renderer/api/types.ts'

/** How a client reaches its node. Paths are the control API's, with their query strings. */
export interface ApiTransport {
  /** A GET's value and the stream seq its state includes (`devq-event-seq`). */
  answer<T>(path: string): Promise<Answer<T>>
  get<T>(path: string): Promise<T>
  post<T>(path: string, body?: unknown): Promise<T>
  /** Saves the answer to a GET of `path` as a file named `name`. */
  save(path: string, name: string): Promise<void>
}

/** `?k=v&...` of the defined params (`true` as `1`, `false` left out), or `''`. */
export function query (params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== false) q.set(k, v === true ? '1' : String(v))
  const s = q.toString()
  return s === '' ? '' : `?${s}`
}

const id = encodeURIComponent

/** Every DevqClient method but the event stream, over `t`; `from` names the client in a cancel's reason. */
export function clientOver (t: ApiTransport, from: string): Omit<DevqClient, 'openEvents'> {
  return {
    status: async () => await t.answer<StatusView>('/v1/views/status'),
    jobs: async (q = {}) => {
      const a = await t.answer<{ jobs: JobLine[] }>(`/v1/views/jobs${query({ repo: q.repo, status: q.status?.join(','), limit: q.limit, mine: q.mine })}`)
      return { value: a.value.jobs, seq: a.seq }
    },
    job: async (job) => await t.get<JobDetail>(`/v1/views/jobs/${id(job)}`),
    runs: async (q = {}) => {
      const a = await t.answer<{ runs: RunLine[] }>(`/v1/views/runs${query({ repo: q.repo, limit: q.limit })}`)
      return { value: a.value.runs, seq: a.seq }
    },
    run: async (run) => await t.get<RunDetail>(`/v1/views/runs/${id(run)}`),
    outline: async (job, attempt) => await t.get<LogOutline>(`/v1/jobs/${id(job)}/outline${query({ attempt })}`),
    cancelJob: async (job) => { await t.post(`/v1/jobs/${id(job)}/cancel`, { reason: `cancelled from ${from}` }) },
    retryJob: async (job) => { await t.post(`/v1/jobs/${id(job)}/retry`) },
    setPriority: async (job, priority) => { await t.post(`/v1/jobs/${id(job)}/priority`, { priority }) },
    retryRun: async (run) => { await t.post(`/v1/runs/${id(run)}/retry`) },
    share: async () => await t.get<ShareView>('/v1/share'),
    setShareMode: async (mode) => await t.post<ShareView>('/v1/share', { mode }),
    settings: async () => await t.get<NodeSettings>('/v1/settings'),
    setSettings: async (change) => await t.post<NodeSettings>('/v1/settings', change),
    team: async () => await t.get<TeamView>('/v1/team'),
    joinToken: async () => (await t.post<{ token: string }>('/v1/team/token', {})).token,
    downloadLog: async (job, attempt) => { await t.save(`/v1/jobs/${id(job)}/log${query({ attempt, download: true })}`, `${job.slice(0, 8)}-${attempt}.log`) },
    downloadArtifact: async (digest, name) => { await t.save(`/v1/artifacts/${id(digest)}`, name) }
  }
}
