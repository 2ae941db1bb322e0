/**
 * Real loopback TCP sockets as ByteStreams, so protocol tests run over a real transport with real
 * backpressure (the mesh gives libp2p streams of the same shape; node's tests cover those).
 */
import { createServer, connect, type Socket } from 'node:net'
import type { ByteStream } from '@devq/core'

/** Adapts a connected socket to the ByteStream port. */
export function socketStream (socket: Socket): ByteStream {
  const source = (async function * () {
    for await (const chunk of socket) yield new Uint8Array(chunk as Buffer)
  })()
  return {
    source,
    async write (chunk) {
      if (socket.destroyed) throw new Error('socket closed')
      if (!socket.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error): void => { socket.off('drain', ok); socket.off('close', closed); if (err === undefined) resolve(); else reject(err) }
          const ok = (): void => { done() }
          const closed = (): void => { done(new Error('socket closed')) }
          socket.once('drain', ok)
          socket.once('close', closed)
        })
      }
    },
    async end () {
      await new Promise<void>((resolve) => { socket.end(resolve) })
    },
    abort (err) {
      socket.destroy(err)
    }
  }
}

/** A connected pair: `client` dials, `server` accepted. Close both with `close()`. */
export async function streamPair (): Promise<{ client: ByteStream, server: ByteStream, close: () => void }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  const clientSocket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => clientSocket.once('connect', resolve))
  const serverSocket = await accepted
  server.close()
  return {
    client: socketStream(clientSocket),
    server: socketStream(serverSocket),
    close: () => { clientSocket.destroy(); serverSocket.destroy() }
  }
}

/**
 * A stream server on loopback: each connection is handed to `handler` as a ByteStream. For tests
 * that dial several times (a fetch with retries against one server).
 */
export async function streamServer (handler: (stream: ByteStream) => Promise<void>): Promise<{ dial: () => Promise<ByteStream>, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    handler(socketStream(socket)).catch(() => { socket.destroy() })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    dial: async () => {
      const socket = connect(port, '127.0.0.1')
      sockets.add(socket)
      await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
      return socketStream(socket)
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}
