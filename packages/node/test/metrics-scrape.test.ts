/**
 * What one scrape costs a node that holds 1,000 queued jobs: a real node (LevelDB, libp2p on
 * loopback) in this process, so the time is the collection's own, without HTTP or other processes.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeMetrics, createProcessLogger, resolveConfig, startDevqNode, type DevqNode, type NodeMetrics } from '../src/index.ts'
import { removeDir, tempDataDir } from './harness.ts'
import { samplesOf, valueOf } from './scrape.ts'

let dir: string
let node: DevqNode
let metrics: NodeMetrics

beforeAll(async () => {
  dir = await tempDataDir('scrape')
  // No slots: every job stays queued, and nothing runs beside the scrapes.
  const config = resolveConfig({ dataDir: dir, listen: '/ip4/127.0.0.1/tcp/0', slots: 0 }, {}, process.cwd())
  node = await startDevqNode(config, createProcessLogger('warn'))
  metrics = createNodeMetrics(node)
}, 60_000)
afterAll(async () => {
  metrics?.close()
  await node?.stop()
  await removeDir(dir)
})

describe('a scrape of a node with 1,000 jobs', () => {
  it('collects every family in a few ms', async () => {
    await Promise.all(Array.from({ length: 1000 }, async () => await node.ledger.append(node.signer, 'job.announced', {
      repo: 'synthetic', ref: 'synthetic', commit: randomBytes(20).toString('hex'), pipelineJob: 'synthetic', priority: 'low', labels: [],
      retry: { max: 0, when: [] }, timeoutMs: 0, cache: false, sensitive: false, source: { addrs: [] }, synthetic: { durationMs: 0, exitCode: 0, outputBytes: 0 }
    })))
    expect(valueOf(samplesOf(await metrics.scrape()), 'devq_queue_jobs', { priority: 'low' })).toBe(1000)
    const times: number[] = []
    for (let i = 0; i < 51; i++) {
      const started = performance.now()
      await metrics.scrape()
      times.push(performance.now() - started)
    }
    times.sort((x, y) => x - y)
    process.stderr.write(`metrics: in-process scrape with 1,000 jobs: median ${times[25]!.toFixed(2)} ms, p90 ${times[45]!.toFixed(2)} ms\n`)
    expect(times[25]).toBeLessThan(8)
  }, 60_000)
})
