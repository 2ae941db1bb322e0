import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cli, removeDir, startCluster, startNode, startStrictAdmin, tempDataDir, waitFor, waitMeshed, waitSettled, type Cluster, type JobView, type NodeProc, type StatusView } from './harness.ts'
import { completions, expectRanOnce, readRuns } from './runs.ts'

let cluster: Cluster | undefined
const extra: NodeProc[] = []
const dirs: string[] = []
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
  await Promise.all(extra.splice(0).map(async (n) => { await n.kill() }))
  await Promise.all(dirs.splice(0).map(removeDir))
})

async function submit (node: NodeProc, body: Record<string, unknown>): Promise<string> {
  return (await node.post<{ id: string }>('/v1/jobs/synthetic', body)).id
}

/** Events `node`'s ledger refused because their author is not a member of the team. */
async function notMemberRejections (node: NodeProc): Promise<number> {
  return (await node.get<StatusView>('/v1/status')).ledger.stats.rejected.not_member ?? 0
}

/** The ids of the peers `node` hears within a lease. */
async function hears (node: NodeProc): Promise<string[]> {
  return (await node.get<StatusView>('/v1/status')).peers.map((p) => p.id)
}

describe('devq-node grid under faults', () => {
  it('with 30% of incoming gossip dropped on every peer, every job still runs exactly once', async () => {
    cluster = await startCluster(5, () => ['--slots', '2', '--fault-drop', '0.3'])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const ids: string[] = []
    for (let i = 0; i < 100; i++) ids.push(await submit(nodes[i % 5]!, { durationMs: 20 + (i % 5) * 20 }))
    await waitSettled(nodes, ids, 240_000)
    const jobs = (await nodes[0]!.get<JobView[]>('/v1/jobs?limit=10000')).filter((j) => ids.includes(j.id))
    expect(jobs.filter((j) => j.status === 'succeeded')).toHaveLength(ids.length)
    expectRanOnce(await readRuns(cluster.dirs), jobs)
  }, 300_000)

  it('a split into two groups for longer than a lease, then healed: every result is a run that ended, one hash', async () => {
    cluster = await startCluster(4, () => ['--slots', '1', '--lease-ms', '3000', '--test-hooks'])
    const { nodes } = cluster
    await waitMeshed(nodes)
    const ids: string[] = []
    for (let i = 0; i < 8; i++) ids.push(await submit(nodes[i % 4]!, { durationMs: 2_500 }))
    const a = nodes.slice(0, 2)
    const b = nodes.slice(2)
    for (const n of a) await n.post('/v1/test/block', { peers: b.map((x) => x.peerId) })
    for (const n of b) await n.post('/v1/test/block', { peers: a.map((x) => x.peerId) })
    for (const [side, other] of [[a, b], [b, a]] as const) {
      for (const n of side) {
        await waitFor('each side to stop hearing the other', async () => !(await hears(n)).some((p) => other.some((o) => o.peerId === p)), 30_000)
      }
    }
    const during = await Promise.all(nodes.map(async (n) => await submit(n, { durationMs: 500 })))
    ids.push(...during)
    // Each side builds its own new jobs while the split lasts.
    for (const [i, id] of during.entries()) {
      await waitFor('a job announced during the split to finish on its side', async () => (await nodes[i]!.get<JobView>(`/v1/jobs/${id}`)).status === 'succeeded', 60_000)
    }
    for (const n of nodes) await n.post('/v1/test/unblock')
    await waitSettled(nodes, ids, 120_000)
    // Two groups may each take a job over (no quorum decides between them), so a job can run on
    // both sides; what the ledger accepts must still be one run that ended, as its runner recorded it.
    const done = completions(await readRuns(cluster.dirs))
    for (const j of await nodes[0]!.get<JobView[]>('/v1/jobs?limit=10000')) {
      expect(j.status, j.id).toBe('succeeded')
      expect(done.get(j.id)?.map((r) => `${r.peer}#${r.attempt}`), j.id).toContain(`${j.result!.by}#${j.result!.attempt}`)
    }
  }, 240_000)

  it('a peer with another team key cannot connect', async () => {
    cluster = await startCluster(2, () => ['--slots', '1'])
    const outsiderDir = await tempDataDir('outsider')
    dirs.push(outsiderDir)
    await cli(['team', 'init', '--data-dir', outsiderDir])
    const addr = cluster.nodes[0]!.addresses[0]!
    const outsider = await startNode(outsiderDir, ['--bootstrap', addr])
    extra.push(outsider)
    const seen = await waitFor('the insiders to see each other', async () => {
      const s = await cluster!.nodes[0]!.get<StatusView>('/v1/status')
      return s.connected.length >= 1 ? s : undefined
    })
    expect(seen.connected).not.toContain(outsider.peerId)
    const o = await outsider.get<StatusView>('/v1/status')
    expect(o.connected).toEqual([])
    expect(o.peers).toEqual([])
  }, 120_000)

  it('in strict mode, events of a peer with the key but not a member are rejected by everyone', async () => {
    const { admin, dir: adminDir, token } = await startStrictAdmin()
    dirs.push(adminDir)
    extra.push(admin)
    const memberDir = await tempDataDir('member')
    const strangerDir = await tempDataDir('stranger')
    dirs.push(memberDir, strangerDir)
    await cli(['team', 'join', token, '--data-dir', memberDir])
    await cli(['team', 'join', token, '--data-dir', strangerDir])
    const member = await startNode(memberDir, ['--slots', '1'])
    extra.push(member)
    await cli(['team', 'add', member.peerId, '--data-dir', adminDir])
    await waitFor('the member to learn it was added', async () => {
      const s = await member.get<{ team: { members: Record<string, string> } }>('/v1/status')
      return s.team.members[member.peerId] === 'member'
    }, 30_000)
    const stranger = await startNode(strangerDir, ['--slots', '1'])
    extra.push(stranger)
    // A stranger that knows it is not a member cannot even write: its own ledger refuses.
    await expect(submit(stranger, { durationMs: 50 })).rejects.toThrow(/403.*not_member/)
    await stranger.stop()
    // Counted before the rogue starts, so the rejections waited for below are the rogue's doing.
    const honest = [admin, member]
    const before = await Promise.all(honest.map(notMemberRejections))
    // A rogue one that claims an open team writes anyway; every member must reject what it sends.
    const teamFile = JSON.parse(await readFile(join(strangerDir, 'team.json'), 'utf8')) as Record<string, unknown>
    await writeFile(join(strangerDir, 'team.json'), JSON.stringify({ ...teamFile, mode: 'open' }))
    const rogue = await startNode(strangerDir, ['--slots', '1'])
    extra.push(rogue)
    // Preconditions of the outcome: the rogue is on the mesh with both honest peers, its own ledger
    // took its job, and each honest peer received the rogue's events and refused them as not_member.
    await waitFor('the rogue to connect to both honest peers', async () => {
      const connected = (await rogue.get<StatusView>('/v1/status')).connected
      return honest.every((n) => connected.includes(n.peerId))
    }, 30_000)
    const fromMember = await submit(member, { durationMs: 50 })
    const fromStranger = await submit(rogue, { durationMs: 50 })
    expect(await rogue.get<JobView>(`/v1/jobs/${fromStranger}`)).toMatchObject({ id: fromStranger, origin: rogue.peerId })
    await waitSettled(honest, [fromMember], 60_000)
    await waitFor('each honest peer to refuse the rogue\'s events as not_member', async () => {
      const now = await Promise.all(honest.map(notMemberRejections))
      return now.every((n, i) => n > before[i]!)
    }, 30_000)
    for (const node of [admin, member]) {
      const jobs = await node.get<JobView[]>('/v1/jobs')
      expect(jobs.map((j) => j.id)).toContain(fromMember)
      expect(jobs.map((j) => j.id)).not.toContain(fromStranger)
    }
  }, 120_000)
})
