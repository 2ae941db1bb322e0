/** Main's watch of the node: views into the tray, ended runs into notices, the stream kept open. */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import type { ApiClient } from '@devq/node'
import type { RunLine, ServerMessage } from '../src/renderer/api/types.ts'
import type { StreamHandlers } from '../src/main/event-stream.ts'
import { createNotificationPolicy, type Notice } from '../src/main/notify-policy.ts'
import { startNodeWatch } from '../src/main/node-watch.ts'
import type { TrayUpdate } from '../src/main/tray-controller.ts'
import { SELF, runDetail, runLine, status } from './main-fixtures.ts'

function rig (initialRuns: RunLine[]) {
  const node = { runs: initialRuns, up: true }
  const api = {
    get: async (path: string) => {
      if (!node.up) throw new Error('ECONNREFUSED')
      if (path === '/v1/views/status') return status()
      if (path.startsWith('/v1/views/runs/')) return runDetail(node.runs.find((r) => path.endsWith(r.run))!)
      if (path.startsWith('/v1/views/runs')) return { runs: node.runs }
      if (path === '/v1/share') return { mode: 'idle' }
      throw new Error(`unexpected GET ${path}`)
    }
  } as unknown as ApiClient
  const timers: { ms: number, fn: () => void, cancelled: boolean }[] = []
  const streams: { resume: unknown, handlers: StreamHandlers, closed: boolean }[] = []
  const updates: TrayUpdate[] = []
  const notices: Notice[] = []
  const policy = createNotificationPolicy({ detail: async (run) => await api.get(`/v1/views/runs/${run}`), logger: silentLogger }, { me: { peerId: SELF } })
  const watch = startNodeWatch({
    api,
    openStream: async (resume, handlers) => {
      const s = { resume, handlers, closed: false }
      streams.push(s)
      return { send: () => {}, close: () => { s.closed = true } }
    },
    tray: { update: (u) => { updates.push(u) }, act: async () => {}, snapshot: () => { throw new Error('unused') } },
    policy,
    notify: (n) => { notices.push(n) },
    after: (ms, fn) => { const t = { ms, fn, cancelled: false }; timers.push(t); return () => { t.cancelled = true } },
    logger: silentLogger
  })
  /** Fires every live timer of `ms` and lets the promises they start settle. */
  const fire = async (ms: number): Promise<void> => {
    for (const t of timers.splice(0)) {
      if (t.ms === ms && !t.cancelled) t.fn()
      else timers.push(t)
    }
    await settle()
  }
  const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await Promise.resolve() }
  const say = (m: ServerMessage, i = streams.length - 1): void => { streams[i]!.handlers.message(m) }
  return { node, watch, streams, updates, notices, fire, settle, say }
}

describe('node watch', () => {
  it('shows the views, then opens the stream; a run of yours ending on it is announced once', async () => {
    const old = runLine({ status: 'failed' })
    const live = runLine({ status: 'running' })
    const r = rig([old, live])
    await r.watch.ready
    expect(r.updates[0]).toMatchObject({ shareMode: 'idle', runs: [old, live] })
    expect(r.streams).toHaveLength(1)
    r.say({ type: 'hello', stream: 'aaaaaaaaaaaaaaaa', seq: 4 })
    r.node.runs = [old, { ...live, status: 'succeeded' }]
    const summary = { run: live.run, origin: SELF, repo: live.repo, ref: live.ref, commit: live.commit, status: 'succeeded' as const, jobs: 2, counts: {} }
    r.say({ seq: 5, type: 'run.changed', time: 1, data: { run: summary } })
    await r.settle()
    // The refresh the event asked for sees the same end: still one notice, and none for the old failure.
    await r.fire(500)
    expect(r.notices.map((n) => n.run)).toEqual([live.run])
    expect(r.updates.length).toBeGreaterThanOrEqual(2)
    r.watch.stop()
    expect(r.streams[0]!.closed).toBe(true)
  })

  it('a closed stream is opened again where it left off; an offline node shows as offline', async () => {
    const r = rig([])
    await r.watch.ready
    r.say({ type: 'hello', stream: 'bbbbbbbbbbbbbbbb', seq: 1 })
    r.say({ seq: 2, type: 'job.removed', time: 1, data: { id: 'j' } })
    r.node.up = false
    r.streams[0]!.handlers.closed({ code: 1006, reason: '' })
    await r.fire(500)
    expect(r.updates.at(-1)).toEqual({ status: undefined })
    await r.fire(1_000)
    expect(r.streams).toHaveLength(2)
    expect(r.streams[1]!.resume).toEqual({ stream: 'bbbbbbbbbbbbbbbb', since: 2 })
    r.watch.stop()
  })
})
