/**
 * How the API client reaches its node: over the unix socket (no token: the socket's mode is the
 * access control) or over TCP with the bearer token. Both answer a fetch `Response`, so a caller
 * reads bodies (and streams logs) the same way.
 */
import { request } from 'node:http'
import { Readable } from 'node:stream'

/** One HTTP exchange with the node; rejects only when the node cannot be reached. */
export type Transport = (method: string, path: string, body?: string) => Promise<Response>

/** Requests over the unix socket at `socketPath`. */
export function socketTransport (socketPath: string): Transport {
  return async (method, path, body) => await new Promise<Response>((resolve, reject) => {
    const req = request({
      socketPath, method, path,
      headers: { host: 'localhost', ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) }
    }, (res) => {
      const headers = new Headers()
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of [value ?? []].flat()) headers.append(name, v)
      }
      const status = res.statusCode ?? 502
      const empty = status === 204 || status === 304
      if (empty) res.resume()
      resolve(new Response(empty ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Requests over TCP to `base` (`http://127.0.0.1:port`) with the bearer `token`. */
export function tcpTransport (base: string, token: string): Transport {
  return async (method, path, body) => await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body })
  })
}
