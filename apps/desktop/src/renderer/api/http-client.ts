/**
 * The dashboard's client in a browser: fetch and a WebSocket to the node that served the page,
 * signed in by the session cookie (HttpOnly: this code never sees it). The event stream takes a
 * one-time ticket first, as the node asks of every browser.
 */
import type { Answer, DevqClient, EventConnection, EventHandlers, StreamResume } from './client.ts'
import { ApiError } from './errors.ts'
import { clientOver, query, type ApiTransport } from '../../shared/client-over.ts'
import { overSocket } from '../../shared/event-socket.ts'

/** Largest answer the dashboard reads, in bytes: far above any view, far below a tab's memory. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024

async function failure (res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { name?: string, message?: string, data?: Record<string, unknown> }
    return new ApiError(body.message ?? `${res.status} ${res.statusText}`, body.name ?? 'ApiError', { ...body.data, status: res.status })
  } catch {
    return new ApiError(`${res.status} ${res.statusText}: ${text.slice(0, 200)}`, 'ApiError', { status: res.status })
  }
}

async function request (path: string, init?: { method: string, body?: unknown }): Promise<Response> {
  let res: Response
  try {
    res = await fetch(path, {
      method: init?.method ?? 'GET',
      credentials: 'same-origin',
      headers: init?.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body) })
    })
  } catch (err) {
    throw new ApiError(`the node does not answer (${(err as Error).message})`, 'NetworkError', { status: 0 })
  }
  if (!res.ok) throw await failure(res)
  const size = Number(res.headers.get('content-length') ?? '0')
  if (size > MAX_ANSWER_BYTES) throw new ApiError(`answer of ${size} bytes is over ${MAX_ANSWER_BYTES}`, 'ApiError', { status: res.status })
  return res
}

async function json<T> (path: string, init?: { method: string, body?: unknown }): Promise<Answer<T>> {
  const res = await request(path, init)
  return { value: await res.json() as T, seq: Number(res.headers.get('devq-event-seq') ?? '0') }
}

const value = async <T>(path: string, init?: { method: string, body?: unknown }): Promise<T> => (await json<T>(path, init)).value
const post = async (path: string, body: unknown = {}): Promise<void> => { await request(path, { method: 'POST', body }) }

/** Makes the browser save `path` (same origin, so the cookie goes along) under `name`. */
function saveFrom (path: string, name: string): void {
  const a = document.createElement('a')
  a.href = path
  a.download = name
  a.rel = 'noopener'
  document.body.append(a)
  a.click()
  a.remove()
}

async function openEvents (resume: StreamResume | undefined, handlers: EventHandlers): Promise<EventConnection> {
  const { ticket } = await value<{ ticket: string }>('/v1/events/ticket', { method: 'POST', body: {} })
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const q = query({ ticket, since: resume?.since, stream: resume?.stream })
  const socket = new WebSocket(`${scheme}://${location.host}/v1/events${q}`)
  return overSocket(socket, handlers)
}

/** The DevqClient of a page the node served. */
export function createHttpClient (): DevqClient {
  const transport: ApiTransport = {
    answer: json,
    get: value,
    post: async (path, body = {}) => await value(path, { method: 'POST', body }),
    save: async (path, name) => { saveFrom(path, name) }
  }
  return { ...clientOver(transport, 'the dashboard'), openEvents }
}

/** Exchanges a one-time sign-in code (from `devq open`) for the session cookie. */
export async function signIn (code: string): Promise<void> {
  await post('/v1/session', { code })
}

/** Whether this browser holds a valid session. */
export async function signedIn (): Promise<boolean> {
  try {
    return (await value<{ signedIn: boolean }>('/v1/session')).signedIn
  } catch {
    return false
  }
}
