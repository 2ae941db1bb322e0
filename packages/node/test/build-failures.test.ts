import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { waitFor, waitMeshed } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, logOf, processesOf, startRun, waitRun, type BuildJob } from './builds.ts'
import { commitAll, git } from './fixtures/c-project.ts'

const fx = gridFixture()

const RETRIES = `version: 1
jobs:
  slow:
    timeout: 3s
    retry: { max: 1, when: [timeout] }
    steps: ["sleep 60"]
  flaky:
    retry: { max: 2, when: ["exit_code:3"] }
    steps: ['if [ "$DEVQ_ATTEMPT" -lt 2 ]; then echo "attempt $DEVQ_ATTEMPT fails"; exit 3; fi; echo recovered']
  broken:
    retry: { max: 2, when: ["exit_code:3"] }
    steps: ["exit 4"]
  missing:
    steps: ["no-such-command-here"]
`

describe('failures of real builds (real processes)', () => {
  it('times out, retries what the policy names by exit code and timeout, and stops at what it does not', async () => {
    const cluster = await fx.grid(2, (i) => ['--slots', i === 0 ? '0' : '4'])
    const [a] = cluster.nodes
    await waitMeshed(cluster.nodes)
    const { jobs } = await build(a!, await fx.repo(RETRIES), {}, 180_000)
    expect(jobs.get('slow')).toMatchObject({ status: 'failed', attempts: [{ outcome: 'failed', failure: 'timeout' }, { outcome: 'failed', failure: 'timeout' }] })
    expect(jobs.get('flaky')).toMatchObject({ status: 'succeeded', attempts: [{ outcome: 'failed', failure: 'exit_code', exitCode: 3 }, { outcome: 'succeeded' }] })
    expect(await logOf(a!, jobs.get('flaky')!.id, 1)).toContain('attempt 1 fails')
    expect(await logOf(a!, jobs.get('flaky')!.id, 2)).toContain('recovered')
    expect(jobs.get('broken')).toMatchObject({ status: 'failed', attempts: [{ outcome: 'failed', exitCode: 4 }] })
    expect(jobs.get('missing')).toMatchObject({ status: 'failed', attempts: [{ exitCode: 127 }] })
    expect(await logOf(a!, jobs.get('missing')!.id)).toMatch(/no-such-command-here: command not found/)
  }, 300_000)

  it('a cancelled job stops at once and leaves no process behind, setsid children included', async () => {
    const cluster = await fx.grid(2, (i) => ['--slots', i === 0 ? '0' : '1'])
    const [a] = cluster.nodes
    await waitMeshed(cluster.nodes)
    const repo = await fx.repo(`version: 1
jobs:
  hang:
    steps: ["setsid sleep 600 & (sleep 600 &) ; echo started; sleep 600"]
`)
    const run = await startRun(a!, repo)
    const id = run.jobs[0]!.id
    await waitFor('the step to start', async () => (await processesOf(id)).length >= 3)
    await a!.post(`/v1/jobs/${id}/cancel`, { reason: 'not needed' })
    const jobs = await waitRun(a!, run.run)
    expect(jobs.get('hang')!.status).toBe('cancelled')
    await waitFor('every process of the step to be gone', async () => (await processesOf(id)).length === 0, 30_000)
  }, 120_000)

  it('a commit no peer can serve fails as source_failed naming why, and is retried when the policy says so', async () => {
    const cluster = await fx.grid(1, () => ['--slots', '0'])
    const [a] = cluster.nodes
    const repo = await fx.repo(`version: 1
jobs:
  build:
    retry: { max: 1, when: [source_failed] }
    steps: ["cat file.txt"]
`)
    await writeFile(join(repo, 'file.txt'), 'gone soon\n')
    await commitAll(repo, 'a commit that will be lost')
    const run = await startRun(a!, repo)
    // The developer drops the commit before anyone fetched it: no peer can serve it any more.
    await git(repo, ['reset', '-q', '--hard', 'HEAD~1'])
    await git(repo, ['reflog', 'expire', '--expire=now', '--all'])
    await git(repo, ['gc', '-q', '--prune=now'])
    await cluster.add(['--slots', '1'])
    await waitMeshed(cluster.nodes)
    const job: BuildJob = (await waitRun(a!, run.run, 120_000)).get('build')!
    expect(job.status).toBe('failed')
    expect(job.attempts).toHaveLength(2)
    for (const attempt of job.attempts) {
      expect(attempt.failure).toBe('source_failed')
      expect(attempt.reason).toMatch(/unavailable/)
    }
  }, 180_000)
})
