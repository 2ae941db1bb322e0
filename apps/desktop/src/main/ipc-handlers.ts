/**
 * What each IPC channel does: the DevqClient method of its name (shared/client-over.ts, the same
 * calls as the browser's client makes), over the node's API, answered to the window that asked.
 */
import type { ApiClient } from '@devq/node'
import { clientOver, type ApiTransport } from '../shared/client-over.ts'
import type { IpcHandlers } from './ipc-router.ts'
import { createStreamHandlers, type StreamOpener } from './ipc-streams.ts'

/** Saves `body` as a file the user picks (or in Downloads) under `name`; resolves once written or declined. */
export type SaveFile = (name: string, body: ReadableStream<Uint8Array>) => Promise<void>

export interface HandlerComponents {
  api: ApiClient
  openStream: StreamOpener
  save: SaveFile
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

/** The node's API as the shared client's transport; a download is saved where the user picks. */
function transportOf (c: HandlerComponents): ApiTransport {
  return {
    answer: async <T>(path: string) => {
      const res = await c.api.raw(path)
      return { value: await res.json() as T, seq: Number(res.headers.get('devq-event-seq') ?? '0') }
    },
    get: async (path) => await c.api.get(path),
    post: async (path, body) => await c.api.post(path, body),
    save: async (path, name) => {
      const res = await c.api.raw(path)
      if (res.body === null) throw new Error(`${path} answered no body`)
      await c.save(plainFileName(name), res.body)
    }
  }
}

/** The handler of every channel: the shared client's method of the same name, over the node's API. */
export function createHandlers (c: HandlerComponents): IpcHandlers {
  const client = clientOver(transportOf(c), 'the desktop app')
  return {
    'devq:status': async () => await client.status(),
    'devq:jobs': async (q) => await client.jobs(q),
    'devq:job': async ({ job }) => await client.job(job),
    'devq:runs': async (q) => await client.runs(q),
    'devq:run': async ({ run }) => await client.run(run),
    'devq:outline': async ({ job, attempt }) => await client.outline(job, attempt),
    'devq:cancelJob': async ({ job }) => { await client.cancelJob(job) },
    'devq:retryJob': async ({ job }) => { await client.retryJob(job) },
    'devq:setPriority': async ({ job, priority }) => { await client.setPriority(job, priority) },
    'devq:retryRun': async ({ run }) => { await client.retryRun(run) },
    'devq:share': async () => await client.share(),
    'devq:setShareMode': async ({ mode }) => await client.setShareMode(mode),
    'devq:settings': async () => await client.settings(),
    'devq:setSettings': async (change) => await client.setSettings(change),
    'devq:team': async () => await client.team(),
    'devq:joinToken': async () => await client.joinToken(),
    'devq:downloadLog': async ({ job, attempt }) => { await client.downloadLog(job, attempt) },
    'devq:downloadArtifact': async ({ digest, name }) => { await client.downloadArtifact(digest, name) },
    ...createStreamHandlers({ open: c.openStream })
  }
}
