/**
 * The event-stream channels: each window's subscriptions, each one a WebSocket to the node that
 * main holds and whose messages go to that window alone. A window that closes or reloads ends its
 * streams.
 */
import type { IpcSender } from '../shared/ipc-ports.ts'
import type { StreamResume } from '../renderer/api/client.ts'
import { IpcStreamError } from './errors.ts'
import type { OpenStream, StreamHandlers } from './event-stream.ts'
import type { IpcHandlers } from './ipc-router.ts'

/** Opens one node event stream (event-stream.ts `openEventStream`, bound to the node). */
export type StreamOpener = (resume: StreamResume | undefined, handlers: StreamHandlers) => Promise<OpenStream>

type StreamChannels = Pick<IpcHandlers, 'devq:events.subscribe' | 'devq:events.send' | 'devq:events.unsubscribe'>

/** The handlers of the three stream channels. */
export function createStreamHandlers (c: { open: StreamOpener }): StreamChannels {
  const windows = new Map<number, Map<string, OpenStream | 'opening'>>()

  function streamsOf (sender: IpcSender): Map<string, OpenStream | 'opening'> {
    let streams = windows.get(sender.id)
    if (streams === undefined) {
      const own = new Map<string, OpenStream | 'opening'>()
      streams = own
      windows.set(sender.id, own)
      sender.onGone(() => {
        windows.delete(sender.id)
        for (const s of own.values()) if (s !== 'opening') s.close()
        own.clear()
      })
    }
    return streams
  }

  return {
    'devq:events.subscribe': async ({ subscription, resume }, sender) => {
      const streams = streamsOf(sender)
      if (streams.has(subscription)) throw new IpcStreamError(`this window already holds stream ${subscription}`, { subscription, detail: 'taken' })
      streams.set(subscription, 'opening')
      try {
        const stream = await c.open(resume, {
          message: (message) => { sender.push('devq:events.message', { subscription, message }) },
          closed: ({ code, reason }) => {
            streams.delete(subscription)
            sender.push('devq:events.closed', { subscription, code, reason })
          }
        })
        // The window went away (or the socket closed) while the stream opened.
        if (streams.get(subscription) !== 'opening') stream.close()
        else streams.set(subscription, stream)
      } catch (err) {
        streams.delete(subscription)
        throw err
      }
    },
    'devq:events.send': async ({ subscription, message }, sender) => {
      const stream = windows.get(sender.id)?.get(subscription)
      if (stream === undefined || stream === 'opening') throw new IpcStreamError(`this window holds no open stream ${subscription}`, { subscription, detail: 'unknown' })
      stream.send(message)
    },
    'devq:events.unsubscribe': async ({ subscription }, sender) => {
      const streams = windows.get(sender.id)
      const stream = streams?.get(subscription)
      // One still opening is closed as soon as it is open (see subscribe).
      if (stream === 'opening') streams?.delete(subscription)
      else stream?.close()
    }
  }
}
