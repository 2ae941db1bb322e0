/**
 * The DevqClient of the desktop window: one named IPC channel per method (shared/channels.ts).
 * It imports types only, so the preload bundle carries no schema code; main checks every payload.
 */
import type { ChannelName, IpcAnswer, PayloadOf, PushChannels, ResultOf } from '../shared/channels.ts'
import type { IpcRendererPort } from '../shared/ipc-ports.ts'
import type { DevqClient, EventConnection, EventHandlers, StreamResume } from '../renderer/api/client.ts'

/** An error main answered, rebuilt with its name, message and data (the class stays behind in main). */
function failure (error: { name: string, message: string, data: Record<string, unknown> }): Error {
  const err = new Error(error.message) as Error & { data: Record<string, unknown> }
  err.name = error.name
  err.data = error.data
  return err
}

/** Creates the window's client over `ipc`; listens on the push channels at once. */
export function createIpcClient (ipc: IpcRendererPort): DevqClient {
  const call = async <C extends ChannelName>(channel: C, payload: PayloadOf<C>): Promise<ResultOf<C>> => {
    const answer = await ipc.invoke(channel, payload) as IpcAnswer<ResultOf<C>>
    if (!answer.ok) throw failure(answer.error)
    return answer.value
  }
  const streams = new Map<string, EventHandlers>()
  ipc.on('devq:events.message', (p: PushChannels['devq:events.message']) => { streams.get(p.subscription)?.message(p.message) })
  ipc.on('devq:events.closed', (p: PushChannels['devq:events.closed']) => {
    const handlers = streams.get(p.subscription)
    streams.delete(p.subscription)
    handlers?.closed({ code: p.code, reason: p.reason })
  })

  let opened = 0
  async function openEvents (resume: StreamResume | undefined, handlers: EventHandlers): Promise<EventConnection> {
    // Named here, so that a message main forwards before its answer arrives finds its handlers.
    const subscription = (++opened).toString(16).padStart(16, '0')
    streams.set(subscription, handlers)
    try {
      await call('devq:events.subscribe', { subscription, ...(resume === undefined ? {} : { resume }) })
    } catch (err) {
      streams.delete(subscription)
      throw err
    }
    return {
      send: (message) => { void call('devq:events.send', { subscription, message }).catch(() => undefined) },
      close: () => { void call('devq:events.unsubscribe', { subscription }).catch(() => undefined) }
    }
  }

  return {
    status: async () => await call('devq:status', {}),
    jobs: async (query = {}) => await call('devq:jobs', query),
    job: async (job) => await call('devq:job', { job }),
    runs: async (query = {}) => await call('devq:runs', query),
    run: async (run) => await call('devq:run', { run }),
    outline: async (job, attempt) => await call('devq:outline', { job, attempt }),
    cancelJob: async (job) => { await call('devq:cancelJob', { job }) },
    retryJob: async (job) => { await call('devq:retryJob', { job }) },
    setPriority: async (job, priority) => { await call('devq:setPriority', { job, priority }) },
    retryRun: async (run) => { await call('devq:retryRun', { run }) },
    share: async () => await call('devq:share', {}),
    setShareMode: async (mode) => await call('devq:setShareMode', { mode }),
    settings: async () => await call('devq:settings', {}),
    setSettings: async (change) => await call('devq:setSettings', change),
    team: async () => await call('devq:team', {}),
    joinToken: async () => await call('devq:joinToken', {}),
    downloadLog: async (job, attempt) => { await call('devq:downloadLog', { job, attempt }) },
    downloadArtifact: async (digest, name) => { await call('devq:downloadArtifact', { digest, name }) },
    openEvents
  }
}
