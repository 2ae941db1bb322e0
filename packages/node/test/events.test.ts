/** The event stream of real devq-node processes, through real WebSocket clients and raw upgrades. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startNode, tempDataDir, type NodeProc } from './harness.ts'
import { openStream, rawUpgrade, takeTicket, tokenOf, type StreamClient, type StreamMessage } from './stream.ts'
import { socketRequest } from './unix-socket.ts'
import { gridFixture } from './grid-fixture.ts'
import { logOf, waitRun, type RunAnswer } from './builds.ts'

const fx = gridFixture()
let node: NodeProc
const dirs: string[] = []
const streams: StreamClient[] = []
beforeAll(async () => {
  const dir = await tempDataDir('events')
  dirs.push(dir)
  node = await startNode(dir, ['--slots', '1'])
})
afterAll(async () => {
  await Promise.all(streams.map(async (s) => { await s.close() }))
  await node?.kill()
  await Promise.all(dirs.map(removeDir))
})

async function stream (query: Record<string, string | number> = {}): Promise<StreamClient> {
  const s = await openStream(node, query)
  streams.push(s)
  return s
}

async function synthetic (body: Record<string, unknown> = {}): Promise<string> {
  return (await node.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 200, ...body })).id
}

const isJob = (id: string, status?: string) => (m: StreamMessage): boolean => m.type === 'job.changed' && m.data?.job?.id === id && (status === undefined || m.data.job.status === status)

/** The seqs of the events among `messages`, in the order they came. */
const seqsOf = (messages: readonly StreamMessage[]): number[] => messages.filter(isEvent).map((m) => m.seq!)

/** Whether `m` is an event of the stream (not the opening hello or resync.required, which only report a seq). */
const isEvent = (m: StreamMessage): boolean => m.seq !== undefined && m.type !== 'hello' && m.type !== 'resync.required'

describe('opening the stream', () => {
  it('takes a fresh one-time ticket: none, an unknown one or a spent one is a 401 before the upgrade', async () => {
    for (const path of ['/v1/events', `/v1/events?ticket=${'ab'.repeat(32)}`]) {
      const refused = await rawUpgrade(node, path)
      expect(refused, path).toMatchObject({ status: 401, body: { name: 'ApiRequestError', data: { status: 401, detail: 'ticket' } } })
    }
    const ticket = await takeTicket(node)
    const first = await rawUpgrade(node, `/v1/events?ticket=${ticket}`)
    expect(first).toHaveProperty('socket')
    if ('socket' in first) first.socket.destroy()
    expect(await rawUpgrade(node, `/v1/events?ticket=${ticket}`)).toMatchObject({ status: 401, body: { data: { detail: 'ticket' } } })
  })

  it('refuses a foreign Origin before it looks at the ticket, which stays unspent', async () => {
    const ticket = await takeTicket(node)
    const refused = await rawUpgrade(node, `/v1/events?ticket=${ticket}`, { origin: 'http://evil.example' })
    expect(refused).toMatchObject({ status: 403, body: { data: { detail: 'origin' } } })
    const own = await rawUpgrade(node, `/v1/events?ticket=${ticket}`, { origin: node.api })
    expect(own).toHaveProperty('socket')
    if ('socket' in own) own.socket.destroy()
  })

  it('works with a ticket taken over the unix socket without a token', async () => {
    const res = await socketRequest(node.dataDir, 'POST', '/v1/events/ticket')
    expect(res.status).toBe(201)
    const { ticket } = JSON.parse(res.body) as { ticket: string }
    const s = await stream({ ticket })
    expect((await s.next('hello', (m) => m.type === 'hello')).stream).toMatch(/^[0-9a-f]{16}$/)
  })
})

describe('events', () => {
  it('tell a job\'s life in order (queued, running, succeeded) with seqs that follow hello without a gap', async () => {
    const s = await stream()
    const hello = await s.next('hello', (m) => m.type === 'hello')
    const id = await synthetic()
    await s.next('the job to succeed', isJob(id, 'succeeded'))
    const statuses = s.messages.filter(isJob(id)).map((m) => m.data!.job!.status)
    expect(statuses[0]).toBe('queued')
    expect(statuses.indexOf('running')).toBeGreaterThan(0)
    expect(statuses.at(-1)).toBe('succeeded')
    expect(statuses.indexOf('running')).toBeLessThan(statuses.indexOf('succeeded'))
    const seqs = seqsOf(s.messages)
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => hello.seq! + 1 + i))
    const succeeded = s.messages.find(isJob(id, 'succeeded'))!
    expect(succeeded.data).toMatchObject({ previous: 'running', job: { attempt: 1, runner: node.peerId, result: { status: 'succeeded', exitCode: 0 } } })
  })

  it('a reconnect with since= and the stream id gets exactly the events it missed', async () => {
    const steady = await stream()
    const first = await stream()
    const hello = await first.next('hello', (m) => m.type === 'hello')
    const one = await synthetic()
    await first.next('the first job to succeed', isJob(one, 'succeeded'))
    const applied = seqsOf(first.messages).at(-1)!
    await first.close()
    const two = await synthetic()
    const done = await steady.next('the second job to succeed', isJob(two, 'succeeded'))
    const again = await stream({ since: applied, stream: hello.stream! })
    expect((await again.next('hello', () => true)).type).toBe('hello')
    // An event's seq, not the hello's: that one names the newest seq too, and may come before the replay.
    await again.next('the replay to reach the steady client', (m) => isEvent(m) && m.seq === done.seq)
    const missed = steady.messages.filter((m) => isEvent(m) && m.seq! > applied && m.seq! <= done.seq!)
    const replayed = again.messages.filter((m) => isEvent(m) && m.seq! <= done.seq!)
    expect(replayed).toEqual(missed)
    expect(missed.some(isJob(two, 'queued'))).toBe(true)
  })

  it('a resume from another stream (a restarted node) is told to reload with resync.required', async () => {
    const s = await stream({ since: 5, stream: '0123456789abcdef' })
    const first = await s.next('the first message', () => true)
    expect(first).toMatchObject({ type: 'resync.required', reason: 'other_stream' })
  })

  it('GET answers carry the seq their state includes, so events after it can be applied on top', async () => {
    const s = await stream()
    const hello = await s.next('hello', (m) => m.type === 'hello')
    const res = await fetch(`${node.api}/v1/jobs`, { headers: { authorization: `Bearer ${await tokenOf(node)}` } })
    expect(Number(res.headers.get('devq-event-seq'))).toBeGreaterThanOrEqual(hello.seq!)
  })

  it('answers a bad message or one subscription too many with an error naming the cause, and goes on serving', async () => {
    const s = await stream()
    s.send('not json')
    expect((await s.next('the JSON error', (m) => m.type === 'error')).error).toMatchObject({ name: 'ApiRequestError', message: 'a message must be JSON' })
    s.send({ subscribe: { logs: 'x' } })
    expect((await s.next('the field error', (m) => m.type === 'error' && m.error?.data.field !== undefined)).error!.data).toMatchObject({ status: 400, field: 'subscribe.logs' })
    s.send('x'.repeat(5000))
    expect((await s.next('the size error', (m) => m.error?.data.status === 413)).error!.message).toMatch(/at most 4096 bytes/)
    s.send({ subscribe: { logs: 'c'.repeat(64) } })
    expect((await s.next('the unknown job', (m) => m.error?.data.detail === 'unknown job')).type).toBe('error')
    // Jobs no peer can run: their log subscriptions wait, and count.
    const { ids } = await node.post<{ ids: string[] }>('/v1/jobs/synthetic', { durationMs: 1, count: 9, labels: ['nowhere'] })
    for (const job of ids) s.send({ subscribe: { logs: job } })
    expect((await s.next('the subscription cap', (m) => m.error?.data.status === 429)).error!.message).toMatch(/at most 8 logs/)
    s.send({ subscribe: { logs: ids[0] } })
    expect((await s.next('the repeated subscription', (m) => m.error?.data.status === 409)).type).toBe('error')
    const id = await synthetic({ durationMs: 1 })
    await s.next('events after the bad messages', isJob(id, 'succeeded'))
  })
})

describe('log subscriptions', () => {
  it('send the lines of a job subscribed before it ran, as the node\'s own log has them, then log.ended', async () => {
    const repo = await fx.repo('version: 1\njobs:\n  count:\n    steps: ["for i in 1 2 3 4 5 6; do echo line $i; sleep 0.1; done"]\n')
    const s = await stream()
    const run = await node.post<RunAnswer>('/v1/runs', { dir: repo })
    const id = run.jobs[0]!.id
    s.send({ subscribe: { logs: id } })
    const ended = await s.next('the log to end', (m) => m.type === 'log.ended' && m.job === id, 120_000)
    const lines = s.messages.filter((m) => m.type === 'log.appended' && m.job === id)
    expect(lines.length).toBeGreaterThan(0)
    for (const [i, m] of lines.entries()) expect(m.offset).toBe(i === 0 ? 0 : lines[i - 1]!.end)
    expect(ended.end).toBe(lines.at(-1)!.end)
    const text = lines.map((m) => m.text).join('')
    for (let i = 1; i <= 6; i++) expect(text).toContain(`line ${i}\n`)
    await waitRun(node, run.run)
    expect(text).toBe(await logOf(node, id))
  })
})
