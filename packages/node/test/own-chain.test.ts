import { readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, waitFor, waitMeshed, waitSettled, type Cluster, type NodeProc, type StatusView } from './harness.ts'

interface Status extends StatusView {
  team: { name?: string, members: Record<string, string> }
  ledger: StatusView['ledger'] & { faulty: Record<string, number> }
}

let cluster: Cluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

const status = async (node: NodeProc): Promise<Status> => await node.get<Status>('/v1/status')

describe('a peer whose ledger store was lost', () => {
  it('waits for sync to bring its own chain back instead of signing seq 1 again, so nobody marks it faulty', async () => {
    cluster = await startCluster(2, () => ['--slots', '1'])
    const [admin, member] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed([admin, member])
    const first = (await admin.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 50 })).id
    await waitSettled([admin, member], [first])
    const team = (await status(admin)).team
    await admin.stop()
    // The whole store is gone, as after a disk failure or a store moved aside.
    await rm(join(cluster.dirs[0]!, 'ledger'), { recursive: true, force: true })
    const back = await cluster.add(['--slots', '1', '--bootstrap', member.addresses[0]!], cluster.dirs[0])
    await waitFor('the admin to get its own chain and the team back by sync', async () => {
      const s = await status(back)
      return s.ledger.versionVector[back.peerId] !== undefined && s.team.name === team.name ? true : undefined
    }, 60_000)
    const again = (await back.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 50 })).id
    await waitSettled([back, member], [first, again])
    for (const node of [back, member]) {
      const s = await status(node)
      expect(s.ledger.faulty).toEqual({})
      expect(s.team).toEqual(team)
    }
  }, 180_000)

  it('with a corrupt store it refuses to start and names the way out; with --rebuild-ledger it moves the store aside and gets its events back by sync', async () => {
    cluster = await startCluster(2, () => ['--slots', '1'])
    const [first, other] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed([first, other])
    const job = (await first.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 50 })).id
    const hash = await waitSettled([first, other], [job])
    await first.stop()
    const store = join(cluster.dirs[0]!, 'ledger')
    for (const file of await readdir(store)) {
      if (file !== 'LOCK' && !file.startsWith('LOG')) await writeFile(join(store, file), Buffer.alloc(4096, 0x5a))
    }
    const refused = await cluster.add(['--slots', '1'], cluster.dirs[0]).then(() => 'started', (err: Error) => err.message)
    expect(refused).toMatch(/ledger store at .* is corrupt.*restart with --rebuild-ledger/s)

    const back = await cluster.add(['--slots', '1', '--rebuild-ledger', '--bootstrap', other.addresses[0]!], cluster.dirs[0])
    expect((await readdir(cluster.dirs[0]!)).some((f) => f.startsWith('ledger.corrupt-'))).toBe(true)
    expect(await waitSettled([back, other], [job])).toBe(hash)
    expect((await status(back)).ledger.faulty).toEqual({})
  }, 180_000)
})
