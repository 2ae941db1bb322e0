/**
 * Every IPC channel between the desktop app's renderer and main, in one map: its name, the zod
 * schema main checks each payload against, and the type of its answer. The preload reads this file
 * for types only (it is bundled without zod); main's router validates with the schemas.
 */
import { z } from 'zod'
import { Digest, EventId, jobStatuses, Priority, RunId, ShareMode, type JobStatus } from '@devq/core'
import type { Answer } from '../renderer/api/client.ts'
import type {
  ClientMessage, JobDetail, JobLine, LogOutline, NodeSettings, RunDetail, RunLine, ServerMessage, ShareView, StatusView, TeamView
} from '../renderer/api/types.ts'

/** A channel: the schema of its payload and, as a type only, its answer. */
export interface Channel<P extends z.ZodType, R> {
  readonly payload: P
  /** Never set: carries the answer's type. */
  readonly result?: R
}

const channel = <R>() => <P extends z.ZodType>(payload: P): Channel<P, R> => ({ payload })

const Attempt = z.number().int().min(1).max(10_000)
const None = z.strictObject({})
const Subscription = z.string().regex(/^[0-9a-f]{16}$/, '16 hex digits naming one of the window\'s streams')

/** What the renderer may send on its event stream (ClientMessage). */
export const ClientMessageSchema: z.ZodType<ClientMessage> = z.union([
  z.strictObject({ subscribe: z.strictObject({ logs: EventId, attempt: Attempt.optional(), from: z.number().int().min(0).optional() }) }),
  z.strictObject({ unsubscribe: z.strictObject({ logs: EventId }) })
])

/** The invoke channels (renderer asks, main answers), by name. */
export const channels = {
  'devq:status': channel<Answer<StatusView>>()(None),
  'devq:jobs': channel<Answer<JobLine[]>>()(z.strictObject({
    repo: z.string().max(256).optional(),
    status: z.array(z.enum(jobStatuses as [JobStatus, ...JobStatus[]])).max(16).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    mine: z.boolean().optional()
  })),
  'devq:job': channel<JobDetail>()(z.strictObject({ job: EventId })),
  'devq:runs': channel<Answer<RunLine[]>>()(z.strictObject({ repo: z.string().max(256).optional(), limit: z.number().int().min(1).max(10_000).optional() })),
  'devq:run': channel<RunDetail>()(z.strictObject({ run: RunId })),
  'devq:outline': channel<LogOutline>()(z.strictObject({ job: EventId, attempt: Attempt })),
  'devq:cancelJob': channel<void>()(z.strictObject({ job: EventId })),
  'devq:retryJob': channel<void>()(z.strictObject({ job: EventId })),
  'devq:setPriority': channel<void>()(z.strictObject({ job: EventId, priority: Priority })),
  'devq:retryRun': channel<void>()(z.strictObject({ run: RunId })),
  'devq:share': channel<ShareView>()(None),
  'devq:setShareMode': channel<ShareView>()(z.strictObject({ mode: ShareMode })),
  'devq:settings': channel<NodeSettings>()(None),
  'devq:setSettings': channel<NodeSettings>()(z.strictObject({ slots: z.number().int().min(0).max(1024).optional(), labels: z.array(z.string().max(64)).max(64).optional() })),
  'devq:team': channel<TeamView>()(None),
  'devq:joinToken': channel<string>()(None),
  'devq:downloadLog': channel<void>()(z.strictObject({ job: EventId, attempt: Attempt })),
  /** `digest` as the views spell it (`sha256:<hex>`); `name` is only a suggestion: main saves under a plain file name made of it. */
  'devq:downloadArtifact': channel<void>()(z.strictObject({ digest: Digest, name: z.string().min(1).max(255) })),
  /** Opens the node's event stream for the sending window; its messages come on `devq:events.message`. */
  'devq:events.subscribe': channel<void>()(z.strictObject({
    /** Chosen by the window (unique among its own), so its handlers are in place before the first message. */
    subscription: Subscription,
    resume: z.strictObject({ stream: z.string().regex(/^[0-9a-f]{16}$/), since: z.number().int().min(0) }).optional()
  })),
  'devq:events.send': channel<void>()(z.strictObject({ subscription: Subscription, message: ClientMessageSchema })),
  /** Closes a stream; `devq:events.closed` follows. Idempotent. */
  'devq:events.unsubscribe': channel<void>()(z.strictObject({ subscription: Subscription }))
} as const

export type ChannelMap = typeof channels
export type ChannelName = keyof ChannelMap
export type PayloadOf<C extends ChannelName> = z.input<ChannelMap[C]['payload']>
export type ResultOf<C extends ChannelName> = Exclude<ChannelMap[C]['result'], undefined>

/** The push channels (main tells the window that subscribed), with their payloads. */
export interface PushChannels {
  'devq:events.message': { subscription: string, message: ServerMessage }
  'devq:events.closed': { subscription: string, code: number, reason: string }
}
export type PushName = keyof PushChannels

/** An error as it crosses IPC: plain data, since class and prototype do not survive the copy. */
export interface IpcErrorBody { name: string, message: string, data: Record<string, unknown> }

/** What every invoke answers: its value, or the error, never a thrown rejection (Electron would flatten it to text). */
export type IpcAnswer<T> = { ok: true, value: T } | { ok: false, error: IpcErrorBody }
