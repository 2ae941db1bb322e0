import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { parsePipeline, plannedJobKey, planPipeline, type JobState } from '@devq/core'
import { planOf } from '../../src/executor/plan-read.ts'
import { commitAll, git, tempDirs, writeFiles } from '../git/fixtures.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

const PIPELINE = 'version: 1\njobs:\n  build:\n    steps: ["make VERSION=${DEVQ_REF}"]\n    artifacts: [{ name: app, paths: [app] }]\n'

async function repo (): Promise<{ dir: string, commit: string, tree: string }> {
  const dir = await dirs.make('plan')
  await git(dir, 'init', '-q', '-b', 'main')
  await writeFiles(dir, { '.devq.yml': PIPELINE, 'main.c': 'int main(void) { return 0; }\n' })
  const commit = await commitAll(dir, 'one')
  return { dir, commit, tree: (await git(dir, 'rev-parse', `${commit}^{tree}`)).trim() }
}

const jobOf = (over: Partial<JobState>): JobState => ({ id: 'a'.repeat(64), repo: 'r'.repeat(64), ref: 'refs/heads/main', pipelineJob: 'build', needs: [], ...over }) as JobState

describe('reading a job\'s plan from its commit', () => {
  it('plans it as the origin did, with the key of the commit\'s own tree', async () => {
    const r = await repo()
    const expected = plannedJobKey(r.tree, planPipeline(parsePipeline(PIPELINE), { ref: 'refs/heads/main', repo: 'r'.repeat(64) }).jobs[0]!)
    const plan = await planOf(join(r.dir, '.git'), jobOf({ commit: r.commit, tree: r.tree, cacheKey: expected }))
    expect(plan.key).toBe(expected)
    expect(plan.job.steps[0]!.run).toBe('make VERSION=refs/heads/main')
  })

  it('refuses an announce whose tree or key is not the commit\'s', async () => {
    const r = await repo()
    const other = 'e'.repeat(40)
    await expect(planOf(join(r.dir, '.git'), jobOf({ commit: r.commit, tree: other }))).rejects.toMatchObject({ name: 'PipelineReadError', message: expect.stringMatching(/names tree eeeeeeeeeeee, but the commit's tree is/) })
    await expect(planOf(join(r.dir, '.git'), jobOf({ commit: r.commit, tree: r.tree, cacheKey: 'f'.repeat(64) }))).rejects.toThrow(/announced build key is not the one/)
  })

  it('gives another key on another ref when a script uses ${DEVQ_REF}', async () => {
    const r = await repo()
    const main = await planOf(join(r.dir, '.git'), jobOf({ commit: r.commit, tree: r.tree }))
    const other = await planOf(join(r.dir, '.git'), jobOf({ commit: r.commit, tree: r.tree, ref: 'refs/heads/release' }))
    expect(other.key).not.toBe(main.key)
  })
})
