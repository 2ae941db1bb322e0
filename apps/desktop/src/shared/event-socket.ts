/**
 * The event stream over an open WebSocket, as the browser's client and Electron main both use it:
 * text frames parsed as the node's messages, one `closed` when the socket ends.
 */
import type { EventConnection, EventHandlers } from '../renderer/api/client.ts'
import type { ServerMessage } from '../renderer/api/types.ts'

/** The little of a WebSocket the stream needs; the browser's and Node's global WebSocket fit. */
export interface SocketLike {
  readonly readyState: number
  send(text: string): void
  close(code?: number): void
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void
  addEventListener(type: 'close', fn: (e: { code: number, reason: string }) => void): void
}

/** WebSocket's OPEN readyState. */
const OPEN = 1

/**
 * Hands each message on `socket` to `handlers` (a frame that is not JSON text is skipped: the
 * node sends none). `send` drops a message unless the socket is open; `close` ends it normally.
 */
export function overSocket (socket: SocketLike, handlers: EventHandlers): EventConnection {
  socket.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') return
    let message: ServerMessage
    try {
      message = JSON.parse(e.data) as ServerMessage
    } catch {
      return
    }
    handlers.message(message)
  })
  socket.addEventListener('close', (e) => { handlers.closed({ code: e.code, reason: e.reason }) })
  return {
    send: (m) => { if (socket.readyState === OPEN) socket.send(JSON.stringify(m)) },
    close: () => { socket.close(1000) }
  }
}
