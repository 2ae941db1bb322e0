/**
 * What each IPC channel does: the control API call behind each DevqClient method, as the browser's
 * http-client makes it, answered to the window that asked.
 */
import type { ApiClient } from '@devq/node'
import type { Answer } from '../renderer/api/client.ts'
import type { JobLine, RunLine } from '../renderer/api/types.ts'
import type { IpcHandlers } from './ipc-router.ts'
import { createStreamHandlers, type StreamOpener } from './ipc-streams.ts'

/** Saves `body` as a file the user picks (or in Downloads) under `name`; resolves once written or declined. */
export type SaveFile = (name: string, body: ReadableStream<Uint8Array>) => Promise<void>

export interface HandlerComponents {
  api: ApiClient
  openStream: StreamOpener
  save: SaveFile
}

const id = encodeURIComponent

function query (params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== false) q.set(k, v === true ? '1' : String(v))
  const s = q.toString()
  return s === '' ? '' : `?${s}`
}

/** A GET's value and the stream seq its state includes (`devq-event-seq`). */
async function answer<T> (api: ApiClient, path: string): Promise<Answer<T>> {
  const res = await api.raw(path)
  return { value: await res.json() as T, seq: Number(res.headers.get('devq-event-seq') ?? '0') }
}

/**
 * `name` as one plain file name: an artifact's name comes from another peer's ledger event and
 * may hold `/`, `..` or control characters, and the save dialog would otherwise start in the
 * directory it points to (`../.bashrc`: the home directory's).
 */
export function plainFileName (name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what a file name must not hold
  const safe = name.replace(/[\u0000-\u001f\u007f/\\]/g, '_')
  return /^\.*$/.test(safe) ? `_${safe}` : safe
}

async function saveFrom (c: HandlerComponents, path: string, name: string): Promise<void> {
  const res = await c.api.raw(path)
  if (res.body === null) throw new Error(`${path} answered no body`)
  await c.save(plainFileName(name), res.body)
}

/** The handler of every channel, over the node's API. */
export function createHandlers (c: HandlerComponents): IpcHandlers {
  const { api } = c
  return {
    'devq:status': async () => await answer(api, '/v1/views/status'),
    'devq:jobs': async (q) => {
      const a = await answer<{ jobs: JobLine[] }>(api, `/v1/views/jobs${query({ repo: q.repo, status: q.status?.join(','), limit: q.limit, mine: q.mine })}`)
      return { value: a.value.jobs, seq: a.seq }
    },
    'devq:job': async ({ job }) => await api.get(`/v1/views/jobs/${id(job)}`),
    'devq:runs': async (q) => {
      const a = await answer<{ runs: RunLine[] }>(api, `/v1/views/runs${query({ repo: q.repo, limit: q.limit })}`)
      return { value: a.value.runs, seq: a.seq }
    },
    'devq:run': async ({ run }) => await api.get(`/v1/views/runs/${id(run)}`),
    'devq:outline': async ({ job, attempt }) => await api.get(`/v1/jobs/${id(job)}/outline${query({ attempt })}`),
    'devq:cancelJob': async ({ job }) => { await api.post(`/v1/jobs/${id(job)}/cancel`, { reason: 'cancelled from the desktop app' }) },
    'devq:retryJob': async ({ job }) => { await api.post(`/v1/jobs/${id(job)}/retry`) },
    'devq:setPriority': async ({ job, priority }) => { await api.post(`/v1/jobs/${id(job)}/priority`, { priority }) },
    'devq:retryRun': async ({ run }) => { await api.post(`/v1/runs/${id(run)}/retry`) },
    'devq:share': async () => await api.get('/v1/share'),
    'devq:setShareMode': async ({ mode }) => await api.post('/v1/share', { mode }),
    'devq:settings': async () => await api.get('/v1/settings'),
    'devq:setSettings': async (change) => await api.post('/v1/settings', change),
    'devq:team': async () => await api.get('/v1/team'),
    'devq:joinToken': async () => (await api.post<{ token: string }>('/v1/team/token', {})).token,
    'devq:downloadLog': async ({ job, attempt }) => { await saveFrom(c, `/v1/jobs/${id(job)}/log${query({ attempt, download: true })}`, `${job.slice(0, 8)}-${attempt}.log`) },
    'devq:downloadArtifact': async ({ digest, name }) => { await saveFrom(c, `/v1/artifacts/${id(digest)}`, name) },
    ...createStreamHandlers({ open: c.openStream })
  }
}
