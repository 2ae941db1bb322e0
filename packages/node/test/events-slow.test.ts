/** A client of the event stream that never reads is dropped; the node's memory stays bounded and other clients go on. */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startNode, tempDataDir, type NodeProc } from './harness.ts'
import { openStream, rawUpgrade, takeTicket, type StreamClient } from './stream.ts'

let node: NodeProc
let dir: string
let steady: StreamClient | undefined
beforeAll(async () => {
  dir = await tempDataDir('events-slow')
  // No slots: the jobs below stay queued, so each burst is just its announces.
  node = await startNode(dir, ['--slots', '0'])
})
afterAll(async () => {
  await steady?.close()
  await node?.kill()
  await removeDir(dir)
})

/** Resident memory of a process (VmRSS), in bytes. */
async function rss (pid: number): Promise<number> {
  return Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
}

interface Stats { clients: number, dropped: { tooSlow: number }, ring: { bytes: number } }

describe('a client that does not read', () => {
  it('is dropped once its unread events pass the bound, while the others keep every event', async () => {
    steady = await openStream(node)
    const hello = await steady.next('hello', (m) => m.type === 'hello')
    const answer = await rawUpgrade(node, `/v1/events?ticket=${await takeTicket(node)}`)
    if (!('socket' in answer)) throw new Error(`the upgrade was refused: ${JSON.stringify(answer)}`)
    const slow = answer.socket
    // Never read: the kernel's buffers fill, then the node's.
    slow.pause()
    const before = await rss(node.proc.pid!)
    let stats = await node.get<Stats>('/v1/events/stats')
    expect(stats.clients).toBe(2)
    for (let burst = 0; burst < 60 && stats.dropped.tooSlow === 0; burst++) {
      await node.post('/v1/jobs/synthetic', { durationMs: 1, count: 1000, labels: ['nowhere'] })
      stats = await node.get<Stats>('/v1/events/stats')
    }
    expect(stats.dropped.tooSlow).toBe(1)
    expect(stats.clients).toBe(1)
    // The node closed the slow socket (it gets its close frame, or is cut off after a grace).
    const ended = new Promise<void>((resolve) => { slow.on('close', () => { resolve() }) })
    slow.resume()
    await ended
    // Past the drop the other client still gets everything, in order.
    const last = (await node.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 1, labels: ['nowhere'] })).id
    await steady.next('the job after the drop', (m) => m.data?.job?.id === last, 120_000)
    const seqs = steady.messages.filter((m) => m.type !== 'hello' && m.seq !== undefined).map((m) => m.seq!)
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => hello.seq! + 1 + i))
    // Thousands of jobs cost the fold some memory; unbounded buffering of the slow client would cost
    // the whole stream again (every event it missed, tens of MB).
    expect(await rss(node.proc.pid!) - before).toBeLessThan(200 * 1024 * 1024)
  }, 300_000)
})
