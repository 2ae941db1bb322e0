import { errorFromAnswer } from './client-errors.ts'
import { ApiTokenError, NodeNotRunningError } from './errors.ts'
import { probeSocket } from './api-socket.ts'
import { socketTransport, tcpTransport, type Transport } from './client-transport.ts'
import { apiSocketPath, readApiToken, readRuntime, tokenPath } from './runtime.ts'

/** A small client of the local control API, over the node's unix socket or TCP with its token. */
export interface ApiClient {
  /** How it reaches the node: the socket's path, or the TCP URL. */
  readonly via: string
  get<T = unknown>(path: string): Promise<T>
  post<T = unknown>(path: string, body?: unknown): Promise<T>
  delete<T = unknown>(path: string): Promise<T>
  /**
   * A request whose answer the caller reads as it streams in (logs, pull progress): a GET, or a
   * POST of `body` when one is given. Throws the node's error for an error status.
   */
  raw(path: string, body?: unknown): Promise<Response>
}

/** The socket when a node answers on it, else TCP from node.json with the token from api.token. */
async function transportFor (dataDir: string): Promise<{ transport: Transport, via: string }> {
  const socket = apiSocketPath(dataDir)
  if (await probeSocket(socket) === 'answers') return { transport: socketTransport(socket), via: socket }
  const info = await readRuntime(dataDir)
  if (info === undefined) throw new NodeNotRunningError(`no devq-node is running on ${dataDir}: start one with devq-node --data-dir ${dataDir} (in a DevQ checkout, npm start runs one on .devq/node: pass --data-dir .devq/node)`, { dataDir })
  const token = await readApiToken(dataDir)
  if (token === undefined) throw new ApiTokenError(`no valid token in ${tokenPath(dataDir)}: the node running on ${dataDir} writes one at start; restart it`, { path: tokenPath(dataDir), detail: 'missing' })
  return { transport: tcpTransport(info.api, token), via: info.api }
}

/**
 * Connects to the node running on `dataDir`, over its unix socket when it answers there, else
 * over TCP (node.json) with api.token. Throws NodeNotRunningError if there is none, and
 * ApiTokenError if TCP is the way and api.token is missing or too open. Calls throw the error the
 * node answered with, as its own class (see `errorFromAnswer`).
 */
export async function connectApi (dataDir: string): Promise<ApiClient> {
  const { transport, via } = await transportFor(dataDir)
  async function exchange (method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await transport(method, path, body === undefined ? undefined : JSON.stringify(body))
    } catch (err) {
      // node.json outlives a node that was killed: say so, and how to start it again.
      throw new NodeNotRunningError(`the devq-node of ${dataDir} does not answer at ${via} (${(err as Error).message}); if it stopped, start it again with devq-node --data-dir ${dataDir}`, { dataDir }, { cause: err })
    }
  }
  async function call<T> (method: string, path: string, body?: unknown): Promise<T> {
    const res = await exchange(method, path, body)
    const payload: unknown = await res.json().catch(() => undefined)
    if (!res.ok) throw await errorFromAnswer(res.status, method, path, payload)
    return (payload ?? {}) as T
  }
  return {
    via,
    get: async (path) => await call('GET', path),
    post: async (path, body) => await call('POST', path, body ?? {}),
    delete: async (path) => await call('DELETE', path),
    async raw (path, body) {
      const method = body === undefined ? 'GET' : 'POST'
      const res = await exchange(method, path, body)
      if (!res.ok) throw await errorFromAnswer(res.status, method, path, await res.json().catch(() => undefined))
      return res
    }
  }
}
