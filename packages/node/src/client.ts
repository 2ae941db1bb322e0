import { errorFromAnswer } from './client-errors.ts'
import { ApiTokenError, NodeNotRunningError } from './errors.ts'
import { readApiToken, readRuntime, tokenPath } from './runtime.ts'

/** A small client of the local control API, found through the data dir's node.json and api.token. */
export interface ApiClient {
  get<T = unknown>(path: string): Promise<T>
  post<T = unknown>(path: string, body?: unknown): Promise<T>
  delete<T = unknown>(path: string): Promise<T>
  /** A GET whose body is read by the caller (logs). Throws the node's error for an error status. */
  raw(path: string): Promise<Response>
}

/**
 * Connects to the node running on `dataDir`; throws NodeNotRunningError if there is none, and
 * ApiTokenError if its api.token is missing or too open. Calls
 * throw the error the node answered with, as its own class (see `errorFromAnswer`).
 */
export async function connectApi (dataDir: string): Promise<ApiClient> {
  const info = await readRuntime(dataDir)
  if (info === undefined) throw new NodeNotRunningError(`no devq-node is running on ${dataDir} (start one with devq-node --data-dir ${dataDir})`, { dataDir })
  const token = await readApiToken(dataDir)
  if (token === undefined) throw new ApiTokenError(`no valid token in ${tokenPath(dataDir)}: the node running on ${dataDir} writes one at start; restart it`, { path: tokenPath(dataDir), detail: 'missing' })
  async function call<T> (method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(info!.api + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
    } catch (err) {
      throw new NodeNotRunningError(`the devq-node of ${dataDir} does not answer at ${info!.api}: ${(err as Error).message}`, { dataDir }, { cause: err })
    }
    const payload: unknown = await res.json().catch(() => undefined)
    if (!res.ok) throw errorFromAnswer(res.status, method, path, payload)
    return (payload ?? {}) as T
  }
  return {
    get: async (path) => await call('GET', path),
    post: async (path, body) => await call('POST', path, body ?? {}),
    delete: async (path) => await call('DELETE', path),
    async raw (path) {
      const res = await fetch(info.api + path, { headers: { authorization: `Bearer ${token}` } }).catch((err: unknown) => {
        throw new NodeNotRunningError(`the devq-node of ${dataDir} does not answer at ${info.api}: ${(err as Error).message}`, { dataDir }, { cause: err })
      })
      if (!res.ok) throw errorFromAnswer(res.status, 'GET', path, await res.json().catch(() => undefined))
      return res
    }
  }
}
