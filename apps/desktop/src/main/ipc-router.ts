/**
 * Main's IPC router: every message is checked before any handler runs. Its sender must be the
 * app's own renderer (the bundled index.html, by file URL), its channel one of the channel map,
 * its payload what that channel's schema allows. Every answer is an IpcAnswer: errors cross as
 * plain `{name, message, data}`.
 */
import type { z } from 'zod'
import type { Logger } from '@devq/core'
import { channels, type ChannelMap, type ChannelName, type IpcAnswer, type IpcErrorBody, type ResultOf } from '../shared/channels.ts'
import type { IpcMainPort, IpcSender } from '../shared/ipc-ports.ts'
import { IpcChannelError, IpcPayloadError, IpcSenderError } from './errors.ts'

/** One handler per channel, given the validated payload. */
export type IpcHandlers = { [C in ChannelName]: (payload: z.output<ChannelMap[C]['payload']>, sender: IpcSender) => Promise<ResultOf<C>> }

export interface IpcRouter {
  /** Checks and answers one message; never rejects. */
  dispatch(channel: string, sender: IpcSender, payload: unknown): Promise<IpcAnswer<unknown>>
  /** Registers every channel of the map on `ipc`. Call once. */
  attach(ipc: IpcMainPort): void
}

/**
 * Whether a frame URL is the renderer at `indexUrl` (a file: URL): the same file, whatever its
 * hash (the route) or query. Any other file, scheme or host is foreign, and so is any page the
 * window may have been navigated to.
 */
export function ownRenderer (indexUrl: string): (frameUrl: string) => boolean {
  const own = new URL(indexUrl)
  if (own.protocol !== 'file:') throw new Error(`the renderer must be a file: URL, not ${indexUrl}`)
  return (frameUrl) => {
    let url: URL
    try {
      url = new URL(frameUrl)
    } catch {
      return false
    }
    return url.protocol === 'file:' && url.host === own.host && url.pathname === own.pathname
  }
}

/** The plain form of any error, for the renderer. */
export function errorBody (err: unknown): IpcErrorBody {
  if (err instanceof Error) {
    const data = (err as { data?: unknown }).data
    return { name: err.name, message: err.message, data: typeof data === 'object' && data !== null ? { ...data } : {} }
  }
  return { name: 'Error', message: String(err), data: {} }
}

function parsePayload (channel: ChannelName, payload: unknown): unknown {
  const parsed = (channels[channel].payload as z.ZodType).safeParse(payload)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const field = issue?.path.map(String).join('.') ?? ''
  const detail = issue?.message ?? 'invalid'
  throw new IpcPayloadError(`${channel}: ${field === '' ? 'the payload' : field}: ${detail}`, { channel, field, detail })
}

const isChannel = (name: string): name is ChannelName => Object.hasOwn(channels, name)

/** Creates the router over `handlers`; `isOwnRenderer` judges each sender's frame URL. */
export function createIpcRouter (components: { handlers: IpcHandlers, logger: Logger }, init: { isOwnRenderer: (url: string) => boolean }): IpcRouter {
  const log = components.logger.child({ component: 'ipc' })
  async function dispatch (channel: string, sender: IpcSender, payload: unknown): Promise<IpcAnswer<unknown>> {
    try {
      if (!init.isOwnRenderer(sender.url)) throw new IpcSenderError(`${channel}: refused a message from ${sender.url}, which is not this app's window`, { channel, url: sender.url })
      if (!isChannel(channel)) throw new IpcChannelError(`no channel ${JSON.stringify(channel)}`, { channel })
      const handler = components.handlers[channel] as (payload: unknown, sender: IpcSender) => Promise<unknown>
      return { ok: true, value: await handler(parsePayload(channel, payload), sender) }
    } catch (err) {
      if (err instanceof IpcSenderError) log.warn({ channel, url: sender.url }, 'refused an IPC message from a foreign frame')
      return { ok: false, error: errorBody(err) }
    }
  }
  return {
    dispatch,
    attach (ipc) {
      for (const channel of Object.keys(channels)) ipc.handle(channel, async (sender, payload) => await dispatch(channel, sender, payload))
    }
  }
}
