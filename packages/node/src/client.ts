import { errorFromAnswer } from './client-errors.ts'
import { ApiTokenError, NodeNotRunningError } from './errors.ts'
import { readApiToken, readRuntime, tokenPath } from './runtime.ts'

/** A small client of the local control API, found through the data dir's node.json and api.token. */
export interface ApiClient {
  get<T = unknown>(path: string): Promise<T>
  post<T = unknown>(path: string, body?: unknown): Promise<T>
  delete<T = unknown>(path: string): Promise<T>
  /**
   * A request whose answer the caller reads as it streams in (logs, pull progress): a GET, or a
   * POST of `body` when one is given. Throws the node's error for an error status.
   */
  raw(path: string, body?: unknown): Promise<Response>
}

/**
 * Connects to the node running on `dataDir`; throws NodeNotRunningError if there is none, and
 * ApiTokenError if its api.token is missing or too open. Calls
 * throw the error the node answered with, as its own class (see `errorFromAnswer`).
 */
export async function connectApi (dataDir: string): Promise<ApiClient> {
  const info = await readRuntime(dataDir)
  if (info === undefined) throw new NodeNotRunningError(`no devq-node is running on ${dataDir}: start one with devq-node --data-dir ${dataDir} (in a DevQ checkout, npm start runs one on .devq/node: pass --data-dir .devq/node)`, { dataDir })
  const token = await readApiToken(dataDir)
  if (token === undefined) throw new ApiTokenError(`no valid token in ${tokenPath(dataDir)}: the node running on ${dataDir} writes one at start; restart it`, { path: tokenPath(dataDir), detail: 'missing' })
  // node.json outlives a node that was killed: say so, and how to start it again.
  const silent = (err: unknown): NodeNotRunningError => new NodeNotRunningError(`the devq-node of ${dataDir} does not answer at ${info.api} (${(err as Error).message}); if it stopped, start it again with devq-node --data-dir ${dataDir}`, { dataDir }, { cause: err })
  async function call<T> (method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(info!.api + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
    } catch (err) {
      throw silent(err)
    }
    const payload: unknown = await res.json().catch(() => undefined)
    if (!res.ok) throw errorFromAnswer(res.status, method, path, payload)
    return (payload ?? {}) as T
  }
  return {
    get: async (path) => await call('GET', path),
    post: async (path, body) => await call('POST', path, body ?? {}),
    delete: async (path) => await call('DELETE', path),
    async raw (path, body) {
      const method = body === undefined ? 'GET' : 'POST'
      const init = body === undefined ? {} : { method, body: JSON.stringify(body) }
      const res = await fetch(info.api + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } }).catch((err: unknown) => {
        throw silent(err)
      })
      if (!res.ok) throw errorFromAnswer(res.status, method, path, await res.json().catch(() => undefined))
      return res
    }
  }
}
