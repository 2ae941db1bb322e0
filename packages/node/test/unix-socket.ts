/** Requests to a node's control API over its unix socket, by hand (no token, no client of ours). */
import { request } from 'node:http'
import { apiSocketPath } from '../src/index.ts'

/** One request over the unix socket of the node on `dataDir`: its status, headers and body text. */
export async function socketRequest (dataDir: string, method: string, path: string, body?: unknown): Promise<{ status: number, headers: Record<string, unknown>, body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return await new Promise((resolve, reject) => {
    const req = request({ socketPath: apiSocketPath(dataDir), method, path, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }) })
    })
    req.on('error', reject)
    req.end(payload)
  })
}
