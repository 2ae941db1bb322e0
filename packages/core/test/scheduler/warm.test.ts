import { describe, expect, it } from 'vitest'
import { createFold, defaultPolicy, PresenceInfo, workspaceKey, type BodyOf, type JobState, type WorkspaceMode } from '../../src/index.ts'
import { activeIndex, assignSlots, scoreFromPresence } from '../../src/scheduler/assign.ts'
import { planBids } from '../../src/scheduler/bidding.ts'
import { createLocalTimes } from '../../src/scheduler/local-times.ts'
import { warmKeyOf } from '../../src/scheduler/warm.ts'
import { Author, announceBody } from '../helpers.ts'

const REPO = 'ab'.repeat(32)

/** A pipeline job's announce (no synthetic spec) of `pipelineJob` in REPO. */
function pipelineAnnounce (pipelineJob: string, workspace?: WorkspaceMode): BodyOf<'job.announced'> {
  const { synthetic: _synthetic, ...body } = announceBody({ repo: REPO, pipelineJob })
  return workspace === undefined ? body : { ...body, workspace }
}

/** A fold holding queued jobs `lint` and `test` (incremental), `package` (clean) and `old` (no workspace given). */
async function queued (): Promise<{ fold: ReturnType<typeof createFold>, jobs: Record<string, JobState> }> {
  const origin = new Author()
  const events = [
    await origin.make(1, 'job.announced', pipelineAnnounce('lint', 'incremental')),
    await origin.make(2, 'job.announced', pipelineAnnounce('test', 'incremental')),
    await origin.make(3, 'job.announced', pipelineAnnounce('package', 'clean')),
    await origin.make(4, 'job.announced', pipelineAnnounce('old'))
  ]
  const fold = createFold()
  fold.apply(events)
  const jobs = Object.fromEntries(events.map((e) => { const j = fold.job(e.id)!; return [j.pipelineJob, j] }))
  return { fold, jobs }
}

function presence (peer: string, warmWorkspaces: string[], slots = 4): PresenceInfo {
  return PresenceInfo.parse({
    peer, status: 'idle', slots, freeSlots: slots, cores: 4, load: 0, labels: [], shareMode: 'dedicated',
    userActive: false, recentFailures: 0, warmWorkspaces, version: 'test', time: 0
  })
}

describe('the warm-workspace hint', () => {
  it('is warm only for the job whose incremental workspace the runner holds', async () => {
    const { jobs } = await queued()
    expect(jobs.lint!.workspace).toBe('incremental')
    const info = presence(new Author().id, [workspaceKey(REPO, 'lint'), workspaceKey(REPO, 'package'), workspaceKey(REPO, 'old')])
    const warm = (job: string): boolean => scoreFromPresence(info, 1, warmKeyOf(jobs[job]!)).warm
    expect(warm('lint')).toBe(true)
    // Same repo, another job: its worktree is not the one held.
    expect(warm('test')).toBe(false)
    // A clean job, or one announced without a workspace, never finds one warm.
    expect(warm('package')).toBe(false)
    expect(warm('old')).toBe(false)
    expect(warmKeyOf(jobs.package!)).toBeUndefined()
  })

  it('marks this peer\'s bids warm for exactly the held job', async () => {
    const { fold, jobs } = await queued()
    const self = presence(new Author().id, [workspaceKey(REPO, 'lint'), workspaceKey(REPO, 'package')])
    const times = createLocalTimes()
    times.observe(fold.openJobs(), 0)
    const bids = planBids(fold, {
      peerId: self.peer, policy: defaultPolicy, peers: [self], self, wallMs: 10_000, monoMs: 0, times, bidsSent: new Set(),
      local: { load: 0, userActive: false, warmWorkspaces: self.warmWorkspaces }
    })
    const warmOf = new Map(bids.map((b) => [fold.job(b.job)!.pipelineJob, b.score.warm]))
    expect(warmOf).toEqual(new Map([['lint', true], ['test', false], ['package', false], ['old', false]]))
    expect(bids.every((b) => Object.values(jobs).some((j) => j.id === b.job))).toBe(true)
  })

  it('gives a job to the runner that holds its own workspace, not to one warm for another job of the repo', async () => {
    const { fold, jobs } = await queued()
    const [low, high] = [new Author().id, new Author().id].sort()
    // `high` holds test's worktree; with a per-repo hint it would also look warm for lint and take it.
    const runners = [{ info: presence(low!, [], 1), free: 1 }, { info: presence(high!, [workspaceKey(REPO, 'test')], 1), free: 1 }]
    const plan = assignSlots([jobs.lint!, jobs.test!], runners, () => true, activeIndex(fold.openJobs()), fold.team())
    expect(plan.get(jobs.lint!.id)).toBe(low)
    expect(plan.get(jobs.test!.id)).toBe(high)
  })

  it('keys a workspace by repo and pipeline job, with a fixed-size job part', () => {
    const key = workspaceKey(REPO, 'build (os=linux, node=22)')
    expect(key).toMatch(new RegExp(`^${REPO}:[0-9a-f]{32}$`))
    expect(workspaceKey(REPO, 'build (os=linux, node=20)')).not.toBe(key)
    expect(workspaceKey('cd'.repeat(32), 'build (os=linux, node=22)')).not.toBe(key)
    expect(PresenceInfo.shape.warmWorkspaces.safeParse([key]).success).toBe(true)
    expect(PresenceInfo.shape.warmWorkspaces.safeParse([REPO]).success).toBe(false)
    expect(PresenceInfo.shape.warmWorkspaces.safeParse(Array.from({ length: 65 }, () => key)).success).toBe(false)
  })
})
