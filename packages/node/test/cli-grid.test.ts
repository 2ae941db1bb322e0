/**
 * The daily `devq` commands against a real grid of two devq-node processes running synthetic jobs:
 * status (peers, queue, estimates, offline peers), jobs (filters, --watch), show, retry, cancel,
 * priority, id prefixes and exit codes. One grid for the whole file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startCluster, tempDataDir, waitFor, waitMeshed, waitSettled, type Cluster, type NodeProc } from './harness.ts'
import { devq, devqOk, spawnDevq, validJson } from './cli-run.ts'
import type { ActionOutput, JobLine, ShowJobOutput, StatusOutput } from '../src/cli-schemas.ts'

let cluster: Cluster
let a: NodeProc
let b: NodeProc
/** `devq` on peer A (or `on`), with `--data-dir`. */
const on = (node: NodeProc, args: string[]): string[] => [...args, '--data-dir', node.dataDir]
const statusOf = async (): Promise<StatusOutput> => validJson<StatusOutput>('status', await devqOk(on(a, ['status', '--json'])))
const jobsOf = async (args: string[] = [], node = a): Promise<JobLine[]> => validJson<{ jobs: JobLine[] }>('jobs', await devqOk(on(node, ['jobs', '--json', '--limit', '1000', ...args]))).jobs

/** Announces synthetic jobs on `node` through its API; `repo` groups them for typical durations. */
async function submit (node: NodeProc, body: Record<string, unknown>): Promise<string[]> {
  return (await node.post<{ ids: string[] }>('/v1/jobs/synthetic', body)).ids
}

beforeAll(async () => {
  // A announces and runs nothing; B runs one job at a time.
  cluster = await startCluster(2, (i) => ['--slots', i === 0 ? '0' : '1', '--lease-ms', '3000'])
  ;[a, b] = cluster.nodes as [NodeProc, NodeProc]
  await waitMeshed(cluster.nodes)
}, 120_000)
afterAll(async () => { await cluster?.stop() })

describe('devq status', () => {
  it('lists both peers and the queue in order, with positions, waits and estimated starts', async () => {
    const before = await statusOf()
    expect(before.queue.every((q) => q.startsInMs === null || q.startsInMs >= 0)).toBe(true)
    // History: one 6 s job of "blk" finished, so the next one's end is expected 6 s after its start.
    await waitSettled(cluster.nodes, await submit(a, { durationMs: 6000, repo: 'blk' }), 60_000)
    const [blocker] = await submit(a, { durationMs: 6000, repo: 'blk' })
    await waitFor('the blocker to run on B', async () => (await a.get<{ status: string }>(`/v1/jobs/${blocker}`)).status === 'running')
    const [low] = await submit(a, { durationMs: 100, priority: 'low', repo: 'q' })
    const [high] = await submit(a, { durationMs: 100, priority: 'high', repo: 'q' })
    const s = await waitFor('B busy and both jobs queued, as A sees it', async () => {
      const now = await statusOf()
      return now.queue.length === 2 && now.peers[0]?.state === 'busy' ? now : undefined
    })
    expect(s.peer).toMatchObject({ id: a.peerId, self: true, slots: { used: 0, total: 0 } })
    expect(s.peers).toEqual([expect.objectContaining({ id: b.peerId, self: false, state: 'busy', slots: { used: 1, total: 1 }, jobs: [blocker], version: expect.any(String) as string })])
    expect(s.queue.map((q) => [q.position, q.id])).toEqual([[1, high], [2, low]])
    // B frees its slot when the blocker's 6 s are up; then `high` runs for the typical "q" time (unknown: the overall median).
    const [first, second] = s.queue
    expect(first!.startsInMs).not.toBeNull()
    expect(first!.startsInMs!).toBeLessThanOrEqual(7000)
    expect(second!.startsInMs!).toBeGreaterThanOrEqual(first!.startsInMs!)
    // Jobs no peer can run stay queued with no estimate.
    const [parkedLow] = await submit(a, { durationMs: 10, priority: 'low', labels: ['no-peer-has-this'] })
    const [parkedHigh] = await submit(a, { durationMs: 10, priority: 'high', labels: ['no-peer-has-this'] })
    const text = await devqOk(on(a, ['status']))
    expect(text).toMatch(new RegExp(`^peer ${a.peerId} `))
    expect(text).toMatch(new RegExp(`\n {2}…${b.peerId.slice(-8)} +(idle|busy) +\\d/1 slots +load [\\d.]+ +\\S+ +dedicated +v[\\d.]+`))
    const position = (id: string): number => Number(new RegExp(`#(\\d+) +${id.slice(0, 12)} +synthetic +(high|low) +waited \\S+ +start unknown`).exec(text)?.[1])
    expect([position(parkedHigh!), position(parkedLow!)].every((n) => n >= 1)).toBe(true)
    // Positions count from 1 without gaps, in the order the queue gives them.
    const positions = [...text.matchAll(/^ {2}#(\d+) /gm)].map((m) => Number(m[1]))
    expect(positions).toEqual(positions.map((_, i) => i + 1))
    await devqOk(on(a, ['cancel', parkedLow!]))
    await devqOk(on(a, ['cancel', parkedHigh!]))
    await waitSettled(cluster.nodes, [blocker!, low!, high!], 60_000)
  }, 120_000)
})

describe('devq jobs', () => {
  it('filters by origin, repository, status and count', async () => {
    const mine = await submit(a, { durationMs: 10, repo: 'only-a' })
    const theirs = await submit(b, { durationMs: 10, exitCode: 3, repo: 'from-b' })
    await waitSettled(cluster.nodes, [...mine, ...theirs], 60_000)
    const all = await jobsOf()
    expect(all.map((j) => j.id)).toEqual(expect.arrayContaining([...mine, ...theirs]))
    const onlyMine = await jobsOf(['--mine'])
    expect(onlyMine.length).toBeGreaterThan(0)
    expect(onlyMine.every((j) => j.origin === a.peerId && j.mine)).toBe(true)
    expect(onlyMine.map((j) => j.id)).not.toContain(theirs[0])
    expect((await jobsOf(['--repo', 'from-b'])).map((j) => j.id)).toEqual(theirs)
    expect((await jobsOf(['--status', 'failed'])).map((j) => j.id)).toEqual(theirs)
    expect((await jobsOf(['--status', 'failed,succeeded'])).length).toBe(all.filter((j) => j.status === 'failed' || j.status === 'succeeded').length)
    expect(await jobsOf(['--limit', '2'])).toEqual(all.slice(0, 2))
    const text = await devqOk(on(a, ['jobs', '--repo', 'from-b']))
    expect(text).toMatch(new RegExp(`^${theirs[0]!.slice(0, 12)} +from-b +synthetic +synthetic +failed +#1 +…${b.peerId.slice(-8)} +\\d+[smhd] ago`))
    for (const bad of [['--status', 'bogus'], ['--limit', '0']]) expect((await devq(on(a, ['jobs', ...bad]))).code, bad.join(' ')).toBe(2)
  }, 120_000)

  it('--watch prints each change as a line when not on a terminal and stops on Ctrl-C with 0', async () => {
    const watch = spawnDevq(on(a, ['jobs', '--watch', '--json', '--interval', '200', '--status', 'queued,running,succeeded']))
    let out = ''
    watch.stdout!.on('data', (c: Buffer) => { out += c.toString() })
    const exited = new Promise<number | null>((resolve) => watch.on('exit', resolve))
    await waitFor('the first listing', async () => out.includes('\n'))
    const [id] = await submit(a, { durationMs: 300, repo: 'watched' })
    await waitFor('the watched job to show as succeeded', async () => out.split('\n').some((l) => l.includes(id!) && l.includes('"succeeded"')), 60_000)
    watch.kill('SIGINT')
    expect(await exited).toBe(0)
    const lines = out.trim().split('\n').map((l) => validJson<JobLine>('jobsWatch', l)).filter((j) => j.id === id)
    expect(lines.at(-1)!.status).toBe('succeeded')
    // A line per change, not per poll: the same state is never printed twice in a row.
    expect(new Set(lines.map((j) => `${j.status}:${j.attempt}:${j.runner ?? ''}`)).size).toBe(lines.length)
  }, 120_000)
})

describe('devq show, retry, cancel, priority', () => {
  it('show lists every attempt of a job retried by hand; retry, cancel and priority answer in their schema', async () => {
    const [failing] = await submit(a, { durationMs: 10, exitCode: 3, repo: 'retry', retry: { max: 0, when: [] } })
    await waitSettled(cluster.nodes, [failing!], 60_000)
    expect((await devq(on(a, ['show', failing!.slice(0, 10), '--exit-status']))).code).toBe(1)
    const retried = validJson<ActionOutput>('action', await devqOk(on(a, ['retry', failing!.slice(0, 8), '--json'])))
    expect(retried).toMatchObject({ action: 'retry', target: { kind: 'job', id: failing }, jobs: [{ id: failing }] })
    await waitFor('attempt 2 to end', async () => {
      const j = await a.get<{ attempt: number, status: string }>(`/v1/jobs/${failing}`)
      return j.attempt === 2 && j.status === 'failed'
    }, 60_000)
    const shown = validJson<ShowJobOutput>('show', await devqOk(on(a, ['show', failing!.slice(0, 6), '--json'])))
    expect(shown.attempts).toMatchObject([{ n: 1, runner: b.peerId, outcome: 'failed', exitCode: 3 }, { n: 2, runner: b.peerId, outcome: 'failed', exitCode: 3 }])
    expect(shown.provenance).toMatchObject({ origin: a.peerId, repo: 'retry', inputs: { pipelineJob: 'synthetic', synthetic: { exitCode: 3 } } })
    const text = await devqOk(on(a, ['show', failing!]))
    expect(text).toMatch(/#1 +on …\S+ +failed \(exit_code, exit 3\)/)
    expect(text).toMatch(/#2 +on …\S+ +failed \(exit_code, exit 3\)/)

    const [parked] = await submit(a, { durationMs: 10, labels: ['no-peer-has-this'] })
    const raised = validJson<ActionOutput>('action', await devqOk(on(a, ['priority', parked!.slice(0, 8), 'critical', '--json'])))
    expect(raised.jobs).toEqual([{ id: parked, pipelineJob: 'synthetic', status: 'queued', priority: 'critical' }])
    expect((await devq(on(a, ['priority', parked!, 'urgent']))).code).toBe(2)
    const cancelled = validJson<ActionOutput>('action', await devqOk(on(a, ['cancel', parked!.slice(0, 8), '--json'])))
    expect(cancelled.jobs).toMatchObject([{ id: parked, status: 'cancelled' }])
    const again = await devq(on(a, ['cancel', parked!]))
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already cancelled/)
  }, 120_000)

  it('cancel, retry and priority from a peer that is neither the origin nor an admin are refused, and sign nothing', async () => {
    const [parked] = await submit(a, { durationMs: 10, labels: ['no-peer-runs-this'] })
    await waitFor('B to know the job', async () => (await b.get<{ id: string }[]>('/v1/jobs?limit=10000')).some((j) => j.id === parked))
    const size = async (): Promise<number> => (await b.get<{ ledger: { size: number } }>('/v1/status')).ledger.size
    const before = await size()
    for (const args of [['cancel', parked!], ['priority', parked!, 'high']]) {
      const r = await devq(on(b, args))
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(new RegExp(`only the origin of job ${parked!} \\(${a.peerId}\\) or a team admin may`))
    }
    expect(await size()).toBe(before)
    expect(await a.get<{ status: string, priority: string }>(`/v1/jobs/${parked!}`)).toMatchObject({ status: 'queued', priority: 'normal' })
    await devqOk(on(a, ['cancel', parked!]))
  })

  it('logs of a job that printed nothing are empty, on its runner and elsewhere', async () => {
    const [quiet] = await submit(a, { durationMs: 10 })
    await waitSettled(cluster.nodes, [quiet!], 60_000)
    for (const node of [b, a]) expect(await devq(on(node, ['logs', quiet!]))).toMatchObject({ code: 0, stdout: '' })
  })

  it('an ambiguous prefix lists the matches and exits 2; an unknown one and a too short one exit 2 too', async () => {
    // 1000 ids of 64 hex digits share a 4-digit prefix somewhere with near certainty (1 - e^-7.6).
    const ids = await submit(a, { durationMs: 10, labels: ['no-peer-has-this'], count: 1000 })
    const byPrefix = new Map<string, string[]>()
    for (const id of ids) byPrefix.set(id.slice(0, 4), [...(byPrefix.get(id.slice(0, 4)) ?? []), id])
    const [prefix, shared] = [...byPrefix].find(([, list]) => list.length > 1)!
    await waitFor('the jobs to reach the node', async () => (await a.get<unknown[]>('/v1/jobs?limit=10000&status=queued')).length >= 1000)
    for (const cmd of [['show', prefix], ['logs', prefix], ['cancel', prefix]]) {
      const r = await devq(on(a, cmd))
      expect(r.code, cmd.join(' ')).toBe(2)
      expect(r.stderr).toMatch(new RegExp(`"${prefix}" matches \\d+ jobs; give more digits`))
      for (const id of shared) expect(r.stderr).toContain(id.slice(0, 16))
    }
    const unknown = await devq(on(a, ['show', 'ffffffffffffffffffff']))
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no job or run matches "ffffffffffffffffffff"/)
    expect((await devq(on(a, ['show', 'abc']))).stderr).toMatch(/"abc" is not a job or run id, nor a pipeline job's name: an id is 64 hex digits/)
  }, 120_000)
})

describe('exit codes and offline peers', () => {
  it('no node running exits 3 and says how to start one', async () => {
    const empty = await tempDataDir('cli-none')
    try {
      const r = await devq(['jobs', '--data-dir', empty])
      expect(r.code).toBe(3)
      expect(r.stderr).toMatch(/no devq-node is running on .*: start one with devq-node --data-dir .*npm start/)
    } finally {
      await removeDir(empty)
    }
  })

  it('a peer that stops is listed offline, with when it was last heard', async () => {
    await b.stop()
    const s = await waitFor('B to show as offline on A', async () => {
      const now = await statusOf()
      return now.peers.find((p) => p.id === b.peerId)?.state === 'offline' ? now : undefined
    }, 30_000, 500)
    expect(s.peers.find((p) => p.id === b.peerId)).toMatchObject({ state: 'offline', heardMsAgo: expect.any(Number) as number, version: expect.any(String) as string })
    expect(await devqOk(on(a, ['status']))).toMatch(/offline +.*last heard \d+[smh] ago/)
  }, 60_000)
})
