/** The channel map and main's IPC router: who may send, what a payload may hold, how errors cross. */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import { channels } from '../src/shared/channels.ts'
import type { IpcSender } from '../src/shared/ipc-ports.ts'
import type { DevqClient } from '../src/renderer/api/client.ts'
import { createIpcRouter, ownRenderer, type IpcHandlers } from '../src/main/ipc-router.ts'
import { createStreamHandlers } from '../src/main/ipc-streams.ts'
import { IpcStreamError } from '../src/main/errors.ts'
import type { StreamHandlers } from '../src/main/event-stream.ts'

const INDEX = 'file:///opt/DevQ/resources/app.asar/dist/renderer/index.html'

function sender (url: string, id = 1): IpcSender & { pushed: unknown[], gone: () => void } {
  const pushed: unknown[] = []
  let gone: () => void = () => {}
  return { id, url, pushed, push: (channel, payload) => { pushed.push({ channel, payload }) }, onGone: (fn) => { gone = fn }, gone: () => { gone() } }
}

/** Handlers that answer with what they were given. */
function echoHandlers (): IpcHandlers {
  return Object.fromEntries(Object.keys(channels).map((c) => [c, async (payload: unknown) => ({ channel: c, payload })])) as unknown as IpcHandlers
}

describe('channel map', () => {
  it('names one channel per DevqClient method besides the stream, and the stream\'s subscribe/send/unsubscribe', () => {
    const methods: (keyof DevqClient)[] = ['status', 'jobs', 'job', 'runs', 'run', 'outline', 'cancelJob', 'retryJob', 'setPriority', 'retryRun', 'share', 'setShareMode', 'settings', 'setSettings', 'team', 'joinToken', 'downloadLog', 'downloadArtifact']
    expect(Object.keys(channels).sort()).toEqual([...methods.map((m) => `devq:${m}`), 'devq:events.subscribe', 'devq:events.send', 'devq:events.unsubscribe'].sort())
  })
})

describe('renderer check', () => {
  const own = ownRenderer(INDEX)
  it('accepts the bundled index.html at any route', () => {
    expect(own(INDEX)).toBe(true)
    expect(own(`${INDEX}#/jobs/abc`)).toBe(true)
  })
  it('rejects any other file, scheme or origin', () => {
    expect(own('file:///tmp/evil/index.html')).toBe(false)
    expect(own('file:///opt/DevQ/resources/app.asar/dist/renderer/other.html')).toBe(false)
    expect(own('http://127.0.0.1:4400/index.html')).toBe(false)
    expect(own('https://evil.example/opt/DevQ/resources/app.asar/dist/renderer/index.html')).toBe(false)
    expect(own('')).toBe(false)
  })
  it('refuses to judge by a renderer that is not a file', () => {
    expect(() => ownRenderer('http://127.0.0.1:4400/')).toThrow(/file: URL/)
  })
})

const J1 = 'a1'.repeat(32)

describe('IPC router', () => {
  const router = createIpcRouter({ handlers: echoHandlers(), logger: silentLogger }, { isOwnRenderer: ownRenderer(INDEX) })

  it('answers a valid message from the app\'s window', async () => {
    expect(await router.dispatch('devq:setPriority', sender(INDEX), { job: J1, priority: 'high' })).toEqual({ ok: true, value: { channel: 'devq:setPriority', payload: { job: J1, priority: 'high' } } })
  })

  it('rejects a message from a foreign frame before reading it', async () => {
    expect(await router.dispatch('devq:status', sender('https://evil.example/'), {})).toEqual({
      ok: false, error: { name: 'IpcSenderError', message: expect.stringContaining('https://evil.example/'), data: { channel: 'devq:status', url: 'https://evil.example/' } }
    })
  })

  it('a bad payload gets IpcPayloadError naming the field', async () => {
    const answer = await router.dispatch('devq:outline', sender(INDEX), { job: J1, attempt: 0 })
    expect(answer).toMatchObject({ ok: false, error: { name: 'IpcPayloadError', data: { channel: 'devq:outline', field: 'attempt' } } })
    expect(!answer.ok && answer.error.message).toMatch(/^devq:outline: attempt: /)
    expect(await router.dispatch('devq:status', sender(INDEX), { extra: 1 })).toMatchObject({ ok: false, error: { name: 'IpcPayloadError' } })
    // An id is a job's or run's id, never a path: `..` would name another route of the node.
    expect(await router.dispatch('devq:job', sender(INDEX), { job: '..' })).toMatchObject({ ok: false, error: { name: 'IpcPayloadError', data: { field: 'job' } } })
    expect(await router.dispatch('devq:retryRun', sender(INDEX), { run: J1 })).toMatchObject({ ok: false, error: { name: 'IpcPayloadError', data: { field: 'run' } } })
    expect(await router.dispatch('devq:jobs', sender(INDEX), undefined)).toMatchObject({ ok: false, error: { name: 'IpcPayloadError', data: { field: '' } } })
  })

  it('an unknown channel is rejected, even one an object inherits', async () => {
    expect(await router.dispatch('devq:exec', sender(INDEX), {})).toMatchObject({ ok: false, error: { name: 'IpcChannelError', data: { channel: 'devq:exec' } } })
    expect(await router.dispatch('toString', sender(INDEX), {})).toMatchObject({ ok: false, error: { name: 'IpcChannelError' } })
  })

  it('a handler\'s error crosses as plain {name, message, data}', async () => {
    const failing = createIpcRouter({ handlers: { ...echoHandlers(), 'devq:team': async () => { throw new IpcStreamError('boom', { subscription: 'x', detail: 'unknown' }) } }, logger: silentLogger }, { isOwnRenderer: ownRenderer(INDEX) })
    const answer = await failing.dispatch('devq:team', sender(INDEX), {})
    expect(answer).toEqual({ ok: false, error: { name: 'IpcStreamError', message: 'boom', data: { subscription: 'x', detail: 'unknown' } } })
    expect(structuredClone(answer)).toEqual(answer)
  })

  it('registers every channel of the map once', () => {
    const names: string[] = []
    router.attach({ handle: (channel) => { names.push(channel) } })
    expect(names.sort()).toEqual(Object.keys(channels).sort())
  })
})

describe('stream channels', () => {
  it('forward a stream\'s messages to the window that opened it, and close its streams when it goes', async () => {
    const opened: { handlers: StreamHandlers, closed: boolean }[] = []
    const streams = createStreamHandlers({
      open: async (_resume, handlers) => {
        const s = { handlers, closed: false }
        opened.push(s)
        return { send: () => {}, close: () => { s.closed = true; handlers.closed({ code: 1000, reason: '' }) } }
      }
    })
    const a = sender(INDEX, 1)
    const b = sender(INDEX, 2)
    const sub = '0000000000000001'
    await streams['devq:events.subscribe']({ subscription: sub }, a)
    await expect(streams['devq:events.subscribe']({ subscription: sub }, a)).rejects.toMatchObject({ name: 'IpcStreamError', data: { detail: 'taken' } })
    await streams['devq:events.subscribe']({ subscription: sub }, b)
    opened[0]!.handlers.message({ type: 'hello', stream: 'abcdabcdabcdabcd', seq: 1 })
    expect(a.pushed).toEqual([{ channel: 'devq:events.message', payload: { subscription: sub, message: { type: 'hello', stream: 'abcdabcdabcdabcd', seq: 1 } } }])
    expect(b.pushed).toEqual([])
    await expect(streams['devq:events.send']({ subscription: 'ffffffffffffffff', message: { unsubscribe: { logs: 'j' } } }, a)).rejects.toMatchObject({ data: { detail: 'unknown' } })
    a.gone()
    expect(opened.map((s) => s.closed)).toEqual([true, false])
  })
})
