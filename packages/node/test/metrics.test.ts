/** `GET /metrics` of real devq-node processes: the families, the values a user checks, and promtool's lint. */
import { request } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEVQ_VERSION } from '../src/index.ts'
import { startCluster, waitFor, waitMeshed, waitSettled, type Cluster, type NodeProc, type StatusView } from './harness.ts'
import { familiesOf, samplesOf, scrape, valueOf, type Sample } from './scrape.ts'

/** The families a dashboard or an alert reads, with their types. */
const FAMILIES: Record<string, string> = {
  devq_jobs_total: 'counter',
  devq_job_duration_seconds: 'histogram',
  devq_queue_jobs: 'gauge',
  devq_queue_wait_seconds: 'histogram',
  devq_peers: 'gauge',
  devq_slots: 'gauge',
  devq_artifact_bytes_total: 'counter',
  devq_source_bytes_total: 'counter',
  devq_gossip_messages_total: 'counter',
  devq_rejected_total: 'counter',
  devq_ledger_events_total: 'counter',
  devq_build_info: 'gauge',
  process_cpu_seconds_total: 'counter',
  nodejs_heap_size_used_bytes: 'gauge'
}

let cluster: Cluster
let a: NodeProc
let b: NodeProc
/** Every job id and commit announced here: none may show up in a label. */
const announced: string[] = []

beforeAll(async () => {
  cluster = await startCluster(2, () => ['--slots', '1'])
  a = cluster.nodes[0]!
  b = cluster.nodes[1]!
  await waitMeshed(cluster.nodes)
}, 120_000)
afterAll(async () => { await cluster?.stop() })

async function samples (node: NodeProc): Promise<Sample[]> {
  const s = await scrape(node)
  if (s.status !== 200) throw new Error(`scrape: ${s.status} ${s.text}`)
  return samplesOf(s.text)
}

async function synthetic (node: NodeProc, body: Record<string, unknown>): Promise<string[]> {
  const { ids } = await node.post<{ ids: string[] }>('/v1/jobs/synthetic', body)
  announced.push(...ids)
  if (ids.length <= 10) for (const id of ids) announced.push((await node.get<{ commit: string }>(`/v1/jobs/${id}`)).commit)
  return ids
}

/** Waits until a scrape of `node` satisfies `check` (gauges follow heartbeats, which come every second). */
async function scrapeUntil (node: NodeProc, what: string, check: (s: Sample[]) => boolean, timeoutMs = 60_000): Promise<Sample[]> {
  return await waitFor(what, async () => {
    const s = await samples(node)
    return check(s) ? s : undefined
  }, timeoutMs)
}

/** Counter, histogram count, bucket and sum samples by series, to compare two scrapes. */
function monotonicSeries (text: string): Map<string, number> {
  const families = familiesOf(text)
  const out = new Map<string, number>()
  for (const s of samplesOf(text)) {
    const base = s.name.replace(/_(bucket|count|sum)$/, '')
    const kind = families.get(s.name) ?? families.get(base)
    if (kind === 'counter' || (kind === 'histogram' && base !== s.name)) out.set(`${s.name}${JSON.stringify(s.labels)}`, s.value)
  }
  return out
}

describe('GET /metrics of a running node', () => {
  it('counts finished jobs by result, their run times and queue waits, on every peer', async () => {
    const ok = await synthetic(a, { durationMs: 200, count: 3 })
    const bad = await synthetic(a, { durationMs: 100, exitCode: 1 })
    await waitSettled(cluster.nodes, [...ok, ...bad])
    for (const node of [a, b]) {
      const s = await samples(node)
      expect(valueOf(s, 'devq_jobs_total', { result: 'succeeded' })).toBe(3)
      expect(valueOf(s, 'devq_jobs_total', { result: 'failed' })).toBe(1)
      expect(valueOf(s, 'devq_jobs_total', { result: 'cancelled' })).toBe(0)
      expect(valueOf(s, 'devq_job_duration_seconds_count')).toBe(4)
      expect(valueOf(s, 'devq_job_duration_seconds_sum')).toBeGreaterThanOrEqual(0.7)
      expect(valueOf(s, 'devq_job_duration_seconds_bucket', { le: '0.5' })).toBe(4)
      expect(valueOf(s, 'devq_queue_jobs', { priority: 'normal' })).toBe(0)
      expect(valueOf(s, 'devq_ledger_events_total')).toBe((await node.get<StatusView>('/v1/status')).ledger.size)
    }
    const s = await samples(a)
    expect(valueOf(s, 'devq_queue_wait_seconds_count', { priority: 'normal' })).toBe(4)
    expect(valueOf(s, 'devq_queue_wait_seconds_count', { priority: 'critical' })).toBe(0)
    expect(valueOf(s, 'devq_gossip_messages_total', { topic: 'ledger', direction: 'out' })).toBeGreaterThan(0)
    expect(valueOf(s, 'devq_gossip_messages_total', { topic: 'presence', direction: 'in' })).toBeGreaterThan(0)
    expect(valueOf(s, 'devq_build_info', { version: DEVQ_VERSION })).toBe(1)
  }, 120_000)

  it('shows the queue, the slots and the peers as they are now', async () => {
    const long = await synthetic(a, { durationMs: 120_000, count: 3, priority: 'high' })
    const busy = await scrapeUntil(a, 'two running and one queued', (s) =>
      valueOf(s, 'devq_queue_jobs', { priority: 'high' }) === 1 && valueOf(s, 'devq_slots', { state: 'used' }) === 1 && valueOf(s, 'devq_peers', { status: 'busy' }) === 2)
    expect(valueOf(busy, 'devq_slots', { state: 'free' })).toBe(0)
    expect(valueOf(busy, 'devq_peers', { status: 'idle' })).toBe(0)
    expect(valueOf(busy, 'devq_queue_jobs', { priority: 'normal' })).toBe(0)
    for (const id of long) await a.post(`/v1/jobs/${id}/cancel`, {})
    const idle = await scrapeUntil(a, 'the cancelled jobs gone and both peers idle', (s) =>
      valueOf(s, 'devq_queue_jobs', { priority: 'high' }) === 0 && valueOf(s, 'devq_peers', { status: 'idle' }) === 2 && valueOf(s, 'devq_slots', { state: 'used' }) === 0)
    expect(valueOf(idle, 'devq_jobs_total', { result: 'cancelled' })).toBe(3)
    expect(valueOf(idle, 'devq_peers', { status: 'offline' })).toBe(0)
  }, 120_000)

  it('puts no job id, commit or peer id in a label, keeps its counters monotonic and passes promtool check metrics', async () => {
    const first = await scrape(a)
    expect(first.status).toBe(200)
    expect(first.type).toMatch(/^text\/plain; version=0\.0\.4/)
    const families = familiesOf(first.text)
    for (const [name, kind] of Object.entries(FAMILIES)) expect(families.get(name), name).toBe(kind)
    for (const s of samplesOf(first.text)) {
      for (const value of Object.values(s.labels)) {
        expect(value, `${s.name} ${JSON.stringify(s.labels)}`).not.toMatch(/^[0-9a-f]{12,}$|^12D3Koo|^Qm[1-9A-HJ-NP-Za-km-z]{20,}/)
      }
    }
    for (const id of [...announced, a.peerId, b.peerId]) expect(first.text).not.toContain(id)

    const lint = await execa('promtool', ['check', 'metrics'], { input: first.text, reject: false })
    expect({ exitCode: lint.exitCode, stdout: lint.stdout, stderr: lint.stderr }).toEqual({ exitCode: 0, stdout: '', stderr: '' })

    await synthetic(b, { durationMs: 0 })
    await scrapeUntil(a, 'the job from b counted', (s) => valueOf(s, 'devq_jobs_total', { result: 'succeeded' }) === 4)
    const before = monotonicSeries(first.text)
    const after = monotonicSeries((await scrape(a)).text)
    for (const [series, value] of before) expect(after.get(series), series).toBeGreaterThanOrEqual(value)
  }, 120_000)

  it('refuses a scrape without the token, with another token or under a foreign Host', async () => {
    const none = await scrape(a, null)
    expect(none.status).toBe(401)
    expect(JSON.parse(none.text)).toMatchObject({ name: 'ApiRequestError', data: { detail: 'unauthorized' } })
    expect((await scrape(a, 'not-the-token')).status).toBe(401)
    const token = (await readFile(join(a.dataDir, 'api.token'), 'utf8')).trim()
    const url = new URL(a.api)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/metrics', headers: { host: `rebound.example:${url.port}`, authorization: `Bearer ${token}` } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(403)
  })

  it('answers a scrape quickly with 1,000 jobs queued', async () => {
    // A label no peer offers keeps them queued without bids, so the scheduler leaves the event loop to the scrape.
    await synthetic(a, { durationMs: 0, count: 1000, priority: 'low', labels: ['gpu-nobody-has'] })
    for (const node of [a, b]) await scrapeUntil(node, 'the burst queued', (s) => valueOf(s, 'devq_queue_jobs', { priority: 'low' }) === 1000)
    const times: number[] = []
    for (let i = 0; i < 21; i++) {
      const started = performance.now()
      expect((await scrape(a)).status).toBe(200)
      times.push(performance.now() - started)
    }
    times.sort((x, y) => x - y)
    process.stderr.write(`metrics: HTTP scrape with 1,000 jobs queued: median ${times[10]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms\n`)
    // A bound for a shared test machine; a scrape that cost more than O(jobs) once would pass it by far.
    expect(times[10]).toBeLessThan(50)
  }, 120_000)
})
