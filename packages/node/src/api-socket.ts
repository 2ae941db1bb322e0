/**
 * The control API on a unix socket beside TCP. Its file mode is the access control (as with
 * docker.sock): a request that came over it needs no bearer token and no Host or Origin check.
 *
 * The socket is 0600 from the moment anyone can reach it: it is bound inside a new 0700 directory
 * (mkdtemp), chmod-ed there, and only then renamed into place, so there is no instant at which it
 * exists under its real name with a wider mode, whatever the umask. A socket file left behind by a
 * node that crashed is replaced; one that a running node answers on is never taken over.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http'
import { createConnection, type Socket } from 'node:net'
import { chmod, lstat, mkdtemp, rename, rmdir, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { FastifyServerOptions } from 'fastify'
import { ApiSocketError } from './errors.ts'

/** Longest unix socket path, in bytes: macOS allows 103 (Linux 107), so that is the portable cap. */
const MAX_SOCKET_PATH = 103

/** How long a probe waits for a socket to accept a connection, in ms. */
const PROBE_MS = 1000

/** What connecting to a unix socket path showed. */
export type SocketProbe = 'answers' | 'refused' | 'missing' | 'unknown'

/**
 * Tries to connect to the unix socket `path`: `answers` when something accepts, `refused` for a
 * socket file no process listens on (left by a crash), `missing` when there is no such file,
 * `unknown` for anything else (no permission, a timeout).
 */
export async function probeSocket (path: string, timeoutMs = PROBE_MS): Promise<SocketProbe> {
  return await new Promise((resolve) => {
    const socket = createConnection(path)
    const done = (probe: SocketProbe): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(probe)
    }
    const timer = setTimeout(() => { done('unknown') }, timeoutMs)
    socket.once('connect', () => { done('answers') })
    socket.once('error', (err: NodeJS.ErrnoException) => { done(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ENOENT' ? 'missing' : 'unknown') })
  })
}

/** Throws unless `path` is free or holds a socket no process answers on. */
async function ensureClaimable (path: string): Promise<void> {
  let info
  try {
    info = await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!info.isSocket()) throw new ApiSocketError(`${path} exists and is not a socket: move it away so the control API can listen there`, { path, reason: 'not_socket' })
  const probe = await probeSocket(path)
  if (probe === 'answers' || probe === 'unknown') {
    throw new ApiSocketError(`another process answers on ${path}: is a devq-node already running on this data dir?`, { path, reason: 'in_use' })
  }
}

async function listenAt (server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** The control API's unix socket, listening. */
export interface ApiSocket {
  readonly path: string
  /** Stops accepting, ends open connections and removes the socket file if it is still this one's. Idempotent. */
  close(): Promise<void>
}

/**
 * Serves `server` on the unix socket `path` (see the file comment for how it stays 0600). Throws
 * ApiSocketError when the path is too long, taken by a file that is not a socket, or in use.
 */
export async function listenOnSocket (server: Server, path: string): Promise<ApiSocket> {
  const dir = dirname(path)
  // The temp name is `<dir>/.sock-XXXXXX/s`: six bytes longer than `<dir>/api.sock`.
  if (Buffer.byteLength(join(dir, '.sock-XXXXXX', 's')) > MAX_SOCKET_PATH) {
    throw new ApiSocketError(`${path} is too long for a unix socket (at most ${MAX_SOCKET_PATH - 6} bytes)`, { path, reason: 'too_long' })
  }
  await ensureClaimable(path)
  const temp = await mkdtemp(join(dir, '.sock-'))
  let inode: number
  try {
    await listenAt(server, join(temp, 's'))
    await chmod(join(temp, 's'), 0o600)
    await rename(join(temp, 's'), path)
    inode = (await lstat(path)).ino
  } catch (err) {
    server.close()
    throw err
  } finally {
    await rmdir(temp).catch(() => {})
  }
  let closing: Promise<void> | undefined
  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    server.closeAllConnections()
    await closed
    const now = await lstat(path).catch(() => undefined)
    if (now?.ino === inode) await unlink(path).catch(() => {})
  }
  return { path, close: async () => { closing ??= close(); await closing } }
}

/**
 * The HTTP servers of the control API: fastify's own (TCP) and, when asked, a second one for the
 * unix socket that shares fastify's handler and hands WebSocket upgrades to the first, where
 * @fastify/websocket listens (as fastify does itself for the extra addresses of `localhost`).
 */
export interface ApiServers {
  /** For `Fastify({ serverFactory })`. */
  serverFactory: NonNullable<FastifyServerOptions['serverFactory']>
  /** Whether `req` came over the unix socket. */
  viaSocket(req: IncomingMessage): boolean
  /** The unix socket's server, once fastify created its handler (undefined without a socket). */
  socketServer(): Server | undefined
}

/** Servers for fastify; with `socket`, also one for the unix socket. */
export function createApiServers (socket: boolean): ApiServers {
  const fromSocket = new WeakSet<Socket>()
  let unix: Server | undefined
  const configure = (server: Server, options: FastifyServerOptions): Server => {
    server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000
    server.requestTimeout = options.requestTimeout ?? 0
    server.setTimeout(options.connectionTimeout ?? 0)
    return server
  }
  return {
    serverFactory: (handler, options) => {
      const tcp = configure(createServer(handler as RequestListener), options)
      if (socket) {
        unix = configure(createServer(handler as RequestListener), options)
        unix.on('connection', (s: Socket) => { fromSocket.add(s) })
        unix.on('upgrade', (req, s, head) => tcp.emit('upgrade', req, s, head))
      }
      return tcp
    },
    viaSocket: (req) => fromSocket.has(req.socket),
    socketServer: () => unix
  }
}
