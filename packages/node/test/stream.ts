/** Clients of a node's event stream for tests: a real WebSocket (Node's global one) and raw upgrades. */
import { request } from 'node:http'
import type { Socket } from 'node:net'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NodeProc } from './harness.ts'

/** A message of the stream, loosely typed for assertions. */
export interface StreamMessage {
  type: string
  seq?: number
  stream?: string
  reason?: string
  data?: { job?: { id: string, status: string, attempt: number, runner?: string }, previous?: string, peer?: { id: string, status: string }, run?: { run: string, status: string } }
  job?: string
  text?: string
  offset?: number
  end?: number
  error?: { name: string, message: string, data: Record<string, unknown> }
}

/** An open stream: every message so far, and waits on them. */
export interface StreamClient {
  messages: StreamMessage[]
  /** Waits (up to `timeoutMs`) until some message from index `from` on satisfies `check`, and returns it. */
  next(what: string, check: (m: StreamMessage) => boolean, timeoutMs?: number, from?: number): Promise<StreamMessage>
  send(message: unknown): void
  /** Resolves with the close code and reason once the socket closed. */
  closed: Promise<{ code: number, reason: string }>
  close(): Promise<void>
}

/** A ticket from `POST /v1/events/ticket` over TCP with the node's token. */
export async function takeTicket (node: NodeProc): Promise<string> {
  return (await node.post<{ ticket: string }>('/v1/events/ticket')).ticket
}

/** Connects to `node`'s stream over TCP with a fresh ticket (or `query` as given), and waits until it is open. */
export async function openStream (node: NodeProc, query: Record<string, string | number> = {}): Promise<StreamClient> {
  const params = new URLSearchParams(Object.entries({ ticket: await takeTicket(node), ...query }).map(([k, v]): [string, string] => [k, String(v)]))
  const ws = new WebSocket(`${node.api.replace('http:', 'ws:')}/v1/events?${params}`)
  const messages: StreamMessage[] = []
  const changed = new Set<() => void>()
  ws.addEventListener('message', (e) => {
    messages.push(JSON.parse(String(e.data)) as StreamMessage)
    for (const wake of changed) wake()
  })
  const closed = new Promise<{ code: number, reason: string }>((resolve) => {
    ws.addEventListener('close', (e) => {
      resolve({ code: e.code, reason: e.reason })
      for (const wake of changed) wake()
    })
  })
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => { resolve() })
    ws.addEventListener('error', () => { reject(new Error('the event stream did not open')) })
  })
  return {
    messages,
    closed,
    send: (message) => { ws.send(typeof message === 'string' ? message : JSON.stringify(message)) },
    async next (what, check, timeoutMs = 60_000, from = 0) {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const found = messages.slice(from).find(check)
        if (found !== undefined) return found
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`the stream closed while waiting for ${what}`)
        const left = deadline - performance.now()
        if (left <= 0) throw new Error(`timed out waiting for ${what}; last messages: ${JSON.stringify(messages.slice(-3))}`)
        await new Promise<void>((resolve) => {
          const wake = (): void => { changed.delete(wake); clearTimeout(timer); resolve() }
          const timer = setTimeout(wake, left)
          changed.add(wake)
        })
      }
    },
    async close () {
      if (ws.readyState !== WebSocket.CLOSED) ws.close()
      await closed
    }
  }
}

/** What a raw upgrade request got: the HTTP status and body of a refusal, or the upgraded socket. */
export type UpgradeAnswer = { status: number, body: { name?: string, data?: Record<string, unknown> } } | { socket: Socket }

/**
 * A WebSocket upgrade request by hand to `node` (`path` with its query), with `headers` on top
 * (Origin, Host), over TCP: the refusal it got, or the socket once upgraded.
 */
export async function rawUpgrade (node: NodeProc, path: string, headers: Record<string, string> = {}): Promise<UpgradeAnswer> {
  const url = new URL(node.api)
  return await new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers }
    })
    req.on('upgrade', (_res, socket) => { resolve({ socket }) })
    req.on('response', (res) => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { name?: string } }) })
    })
    req.on('error', reject)
    req.end()
  })
}

/** The node's bearer token. */
export async function tokenOf (node: NodeProc): Promise<string> {
  return (await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim()
}
