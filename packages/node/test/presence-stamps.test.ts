/** Heartbeat stamps kept across a restart: real devq-node processes and the real file on disk. */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, waitMeshed, type Cluster, type NodeProc } from './harness.ts'

let cluster: Cluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

describe('heartbeat stamps', () => {
  it('are written 0600 as a node stops, naming the boot and count of each peer it heard; a file that does not check out is ignored with a warning and the node starts', async () => {
    cluster = await startCluster(2, () => ['--slots', '0'])
    const [a, b] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed([a, b])
    await a.stop()
    const file = join(cluster.dirs[0]!, 'presence-stamps.json')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const kept = JSON.parse(await readFile(file, 'utf8')) as { v: number, stamps: Record<string, { boot: string, seq: number }> }
    expect(kept.v).toBe(1)
    expect(kept.stamps[b.peerId]).toMatchObject({ boot: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), seq: expect.any(Number) })
    expect(kept.stamps[b.peerId]!.seq).toBeGreaterThan(0)

    await writeFile(file, JSON.stringify({ v: 1, stamps: { [b.peerId]: { boot: 'short', seq: -1, retired: [] } } }), { mode: 0o600 })
    const back = await cluster.add(['--slots', '0', '--log-level', 'warn', '--bootstrap', b.addresses[0]!], cluster.dirs[0])
    await waitMeshed([back, b])
    expect(back.log()).toMatch(/heartbeat stamps not read back/)
  }, 120_000)
})
