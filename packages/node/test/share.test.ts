import { readFile } from 'node:fs/promises'
import { getPriority } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, waitFor, waitMeshed, waitSettled, type NodeProc, type StatusView } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, logOf, waitPulled } from './builds.ts'

const fx = gridFixture()

interface PeerSeen { id: string, freeSlots: number, shareMode: string, userActive: boolean }
interface Status extends StatusView { peers: PeerSeen[], mesh: { gossip: { accepted: number } } }
interface JobSeen { id: string, status: string, bids: { peer: string, score: { shareMode: string } }[], attempts: { runner: string, outcome?: string }[], result?: { status: string, by: string } }

const status = async (node: NodeProc): Promise<Status> => await node.get<Status>('/v1/status')
const seenBy = async (viewer: NodeProc, peer: NodeProc): Promise<PeerSeen | undefined> => (await status(viewer)).peers.find((p) => p.id === peer.peerId)
/** Events `author` wrote, as `viewer`'s ledger holds them (0 when none). */
const eventsBy = async (viewer: NodeProc, author: NodeProc): Promise<number> => (await status(viewer)).ledger.versionVector[author.peerId] ?? 0

/**
 * Waits until `viewer` has taken two more gossip messages, here heartbeats of `peer`: by then
 * `peer` has seen the job for two heartbeat intervals and its scheduler would have bid.
 */
async function twoHeartbeats (viewer: NodeProc, peer: NodeProc): Promise<void> {
  const from = (await status(viewer)).mesh.gossip.accepted
  await waitFor(`two heartbeats of ${peer.peerId} at ${viewer.peerId}`, async () => (await status(viewer)).mesh.gossip.accepted >= from + 2, 30_000)
}

async function submit (origin: NodeProc, durationMs: number, count = 1): Promise<string[]> {
  return (await origin.post<{ ids: string[] }>('/v1/jobs/synthetic', { durationMs, count })).ids
}

describe('share modes (real processes)', () => {
  it('an off peer bids on nothing, yet announces, serves its commits and gets their artifacts; devq share lends it at once', async () => {
    const cluster = await fx.grid(3, (i) => ['--slots', i === 0 ? '0' : '1', ...(i === 1 ? ['--share-mode', 'off'] : [])])
    const [origin, ...runners] = cluster.nodes as [NodeProc, NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    const modes = await Promise.all(runners.map(async (n) => (await cli(['share', '--data-dir', n.dataDir])).trim()))
    const off = runners[modes.indexOf('off')]!
    const runner = runners[modes.indexOf('dedicated')]!
    expect((await seenBy(origin, off))).toMatchObject({ shareMode: 'off', freeSlots: 0 })

    const ids = await submit(origin, 300, 3)
    await waitSettled(cluster.nodes, ids)
    for (const id of ids) expect((await origin.get<JobSeen>(`/v1/jobs/${id}`)).result).toMatchObject({ status: 'succeeded', by: runner.peerId })
    // Not one bid: the off peer wrote no event at all.
    expect(await eventsBy(origin, off)).toBe(0)

    // Still a member: its own commit is built elsewhere from the source it serves, and its artifact comes back.
    const repo = await fx.repo({
      '.devq.yml': 'version: 1\njobs:\n  build:\n    steps: ["cat data.txt > out.txt"]\n    artifacts: [{ name: out, kind: binary, paths: [out.txt] }]\n',
      'data.txt': 'from the off peer\n'
    })
    const { jobs } = await build(off, repo)
    expect(jobs.get('build')).toMatchObject({ status: 'succeeded', result: { by: runner.peerId } })
    await waitPulled(off, jobs.get('build')!.id)

    const lent = JSON.parse(await cli(['share', 'dedicated', '--json', '--data-dir', off.dataDir])) as { mode: string }
    expect(lent.mode).toBe('dedicated')
    // Kept for the next start: the node wrote it to its config file.
    await waitFor('the new mode in the config file', async () => /^share-mode: dedicated$/m.test(await readFile(join(off.dataDir, 'config.yml'), 'utf8').catch(() => '')))
    await waitFor('the origin to see the peer lent', async () => (await seenBy(origin, off))?.shareMode === 'dedicated' && (await seenBy(origin, off))?.freeSlots === 1)
    const two = await submit(origin, 3_000, 2)
    await waitSettled(cluster.nodes, two)
    const by = await Promise.all(two.map(async (id) => (await origin.get<JobSeen>(`/v1/jobs/${id}`)).result?.by))
    expect(new Set(by)).toEqual(new Set([off.peerId, runner.peerId]))

    await expect(off.post('/v1/share', { mode: 'sometimes' })).rejects.toThrow(/400 .*"field":"mode"/)
    await expect(off.post('/v1/activity', { idleSeconds: -1 })).rejects.toThrow(/400 .*"field":"idleSeconds"/)
  }, 240_000)

  it('an idle peer bids only while its user is away, and a job it runs finishes when the user comes back', async () => {
    const cluster = await fx.grid(2, (i) => i === 0 ? ['--slots', '0'] : ['--slots', '1', '--share-mode', 'idle'])
    const [origin, idle] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    // The desktop app reports input just now: the user is at the keyboard.
    expect(await idle.post('/v1/activity', { idleSeconds: 0 })).toMatchObject({ mode: 'idle', userActive: true, activitySource: 'desktop' })
    const [job] = await submit(origin, 4_000)
    await waitFor('the idle peer to hold the job', async () => await idle.get<JobSeen>(`/v1/jobs/${job}`))
    await twoHeartbeats(origin, idle)
    expect(await seenBy(origin, idle)).toMatchObject({ shareMode: 'idle', userActive: true, freeSlots: 0 })
    expect(await origin.get<JobSeen>(`/v1/jobs/${job}`)).toMatchObject({ status: 'queued', bids: [] })
    expect(await eventsBy(origin, idle)).toBe(0)

    // The user has been away for an hour: the peer bids and runs the job.
    expect(await idle.post('/v1/activity', { idleSeconds: 3600 })).toMatchObject({ userActive: false })
    await waitFor('the job to run on the idle peer', async () => {
      const j = await origin.get<JobSeen>(`/v1/jobs/${job}`)
      return j.status === 'running' && j.attempts[0]?.runner === idle.peerId
    }, 30_000, 50)
    // The user comes back while it runs: it still finishes, on its first attempt.
    expect(await idle.post('/v1/activity', { idleSeconds: 0 })).toMatchObject({ userActive: true })
    await waitSettled(cluster.nodes, [job!])
    expect(await origin.get<JobSeen>(`/v1/jobs/${job}`)).toMatchObject({ status: 'succeeded', result: { by: idle.peerId }, attempts: [{ runner: idle.peerId, outcome: 'succeeded' }] })

    // And with the user back it takes no new job.
    const [next] = await submit(origin, 100)
    await waitFor('the idle peer to hold the next job', async () => await idle.get<JobSeen>(`/v1/jobs/${next}`))
    const written = await eventsBy(origin, idle)
    await twoHeartbeats(origin, idle)
    expect(await origin.get<JobSeen>(`/v1/jobs/${next}`)).toMatchObject({ status: 'queued', bids: [] })
    expect(await eventsBy(origin, idle)).toBe(written)
  }, 180_000)

  it('runs the steps of a shared peer at low CPU and IO priority, and a dedicated peer\'s at normal priority', async () => {
    const args = [['--slots', '0'], ['--slots', '1', '--share-mode', 'shared', '--labels', 'linux,lent'], ['--slots', '1', '--labels', 'linux,box']]
    const cluster = await fx.grid(3, (i) => args[i]!)
    const [origin] = cluster.nodes as [NodeProc]
    await waitMeshed(cluster.nodes)
    const report = 'echo \\"nice=$(nice) io=$(ionice -p $$)\\"'
    const repo = await fx.repo(`version: 1
jobs:
  on-shared:
    runs-on: lent
    steps: ["${report}"]
  on-dedicated:
    runs-on: box
    steps: ["${report}"]
`)
    const { jobs } = await build(origin, repo)
    const shared = jobs.get('on-shared')!
    const dedicated = jobs.get('on-dedicated')!
    expect(shared.status).toBe('succeeded')
    expect(dedicated.status).toBe('succeeded')
    expect(shared.result!.by).not.toBe(dedicated.result!.by)
    const base = getPriority()
    expect(await logOf(origin, shared.id)).toContain(`nice=${base + 10} io=best-effort: prio 7`)
    const plain = await logOf(origin, dedicated.id)
    expect(plain).toContain(`nice=${base} io=`)
    expect(plain).not.toContain('prio 7')
  }, 240_000)
})
