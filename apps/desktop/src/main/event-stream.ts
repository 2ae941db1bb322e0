/**
 * Main's end of the node's event stream: a one-time ticket (`POST /v1/events/ticket`), then the
 * WebSocket `GET /v1/events?ticket=` on the node's TCP API, as a browser opens it. Messages are
 * parsed here; what to do with them is the caller's.
 */
import type { ApiClient } from '@devq/node'
import type { ClientMessage, ServerMessage } from '../renderer/api/types.ts'
import { overSocket, type SocketLike } from '../shared/event-socket.ts'

export type { SocketLike }

export interface StreamHandlers {
  message: (message: ServerMessage) => void
  /** Called once, when the socket closed (whoever closed it). */
  closed: (info: { code: number, reason: string }) => void
}

/** An open stream; `send` drops the message unless the socket is open; `close` is idempotent. */
export interface OpenStream {
  send(message: ClientMessage): void
  close(): void
}

export interface EventStreamComponents {
  api: ApiClient
  /** The node's TCP API base (`http://127.0.0.1:port`). */
  apiUrl: string
  /** Opens a WebSocket (default Node's global WebSocket). */
  socket?: (url: string) => SocketLike
}

/** The stream URL for `ticket`, resuming after `since` of `stream` when given. */
export function streamUrl (apiUrl: string, ticket: string, resume?: { stream: string, since: number }): string {
  const url = new URL('/v1/events', apiUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.searchParams.set('ticket', ticket)
  if (resume !== undefined) {
    url.searchParams.set('since', String(resume.since))
    url.searchParams.set('stream', resume.stream)
  }
  return url.href
}

/** Opens the node's event stream. Rejects when the ticket cannot be had; a refused upgrade ends in `closed`. */
export async function openEventStream (c: EventStreamComponents, resume: { stream: string, since: number } | undefined, handlers: StreamHandlers): Promise<OpenStream> {
  const { ticket } = await c.api.post<{ ticket: string }>('/v1/events/ticket', {})
  const open = c.socket ?? ((url: string) => new WebSocket(url) as SocketLike)
  return overSocket(open(streamUrl(c.apiUrl, ticket, resume)), handlers)
}
