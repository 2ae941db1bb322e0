/** The renderer's pure parts: routes, run stages by needs, steps from a runner's log lines. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hrefOf, parseRoute, type Route } from '../src/renderer/app/router.ts'
import { stagesOf } from '../src/renderer/views/run-graph.ts'
import { stepsOf } from '../src/renderer/views/steps.ts'
import { parseGroups, stepHeaderLine } from '../../../packages/runner/src/logs/groups.ts'

const id = fc.stringMatching(/^[0-9a-f]{64}$/)

describe('routes', () => {
  it('every route survives its link', () => {
    const route: fc.Arbitrary<Route> = fc.oneof(
      fc.constantFrom<Route>({ view: 'grid' }, { view: 'queue' }, { view: 'runs' }, { view: 'history' }, { view: 'settings' }),
      id.map((run) => ({ view: 'run', run } as const)),
      fc.tuple(id, fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined })).map(([job, attempt]) => (attempt === undefined ? { view: 'job', job } as const : { view: 'job', job, attempt } as const))
    )
    fc.assert(fc.property(route, (r) => { expect(parseRoute(hrefOf(r))).toEqual(r) }))
  })

  it('an unknown or empty hash is the grid', () => {
    for (const h of ['', '#', '#/', '#/nope', '#/jobs/', '#/runs']) expect(parseRoute(h).view).toBe(h === '#/runs' ? 'runs' : 'grid')
  })
})

describe('run stages', () => {
  it('a job comes one stage after the latest job it needs; needs outside the run are ignored', () => {
    const job = (name: string, needs: string[]) => ({ id: name, pipelineJob: name, needs: needs.map((n) => ({ pipelineJob: n })) })
    const stages = stagesOf([job('build', []), job('lint', []), job('test', ['build']), job('package', ['test', 'lint']), job('docs', ['elsewhere'])])
    expect(stages.map((s) => s.map((j) => j.id))).toEqual([['build', 'lint', 'docs'], ['test'], ['package']])
  })

  it('a cycle (a broken pipeline) does not loop', () => {
    const stages = stagesOf([{ id: 'a', pipelineJob: 'a', needs: [{ pipelineJob: 'b' }] }, { id: 'b', pipelineJob: 'b', needs: [{ pipelineJob: 'a' }] }])
    expect(stages.flat().map((j) => j.id).sort()).toEqual(['a', 'b'])
  })
})

describe('steps from the log', () => {
  const header = (name: string): string => stepHeaderLine(name).trimEnd()
  const of = (lines: string[]) => ({ groups: parseGroups(lines.join('\n')).groups, text: (n: number) => lines[n - 1] ?? '' })

  it('reads each step\'s status and seconds from the lines the runner writes', () => {
    const lines = [header('configure'), 'checking...', '[devq] step configure succeeded in 0.4 s', header('build'), 'cc -c x.c', 'x.c:1: error: nope',
      '[devq] step build failed: exit code 2 after 1.3 s', header('package')]
    expect(stepsOf(of(lines), false)).toEqual([
      { name: 'configure', line: 1, status: 'succeeded', seconds: 0.4 },
      { name: 'build', line: 4, status: 'failed', seconds: 1.3, detail: 'exit code 2' },
      { name: 'package', line: 8, status: 'running' }
    ])
    expect(stepsOf(of(lines), true).at(-1)!.status).toBe('stopped')
  })

  it('the last step ends even when notes on artifacts follow its end note', () => {
    const lines = [header('package'), 'tar ...', '[devq] step package succeeded in 0.2 s', '[devq] artifact hello (binary, hello): 10 bytes, sha256:00', '[devq] collected 1 artifact(s) in 3 ms']
    expect(stepsOf(of(lines), true)).toEqual([{ name: 'package', line: 1, status: 'succeeded', seconds: 0.2 }])
  })

  it('a line a build prints that looks like a step end does not end another step', () => {
    expect(stepsOf(of([header('a'), '[devq] step b succeeded in 1.0 s']), false)[0]!.status).toBe('running')
    expect(stepsOf(of(['[devq] step a succeeded in 1.0 s']), false)).toEqual([])
  })
})

describe('the store', () => {
  it('a job detail read before a later event but answered after it does not take the job\'s status back', async () => {
    const { createDevqStore } = await import('../src/renderer/store/store.ts')
    const store = createDevqStore()
    const id = 'a'.repeat(64)
    const base = { id, origin: 'o', repo: 'r', ref: 'refs/heads/main', commit: 'c'.repeat(40), pipelineJob: 'build', priority: 'normal' as const, attempt: 1, announcedAt: 1 }
    store.getState().jobChanged({ ...base, status: 'running', runner: 'p', startedAt: 5 })
    const old = { ...base, status: 'awarded' as const, mine: true, flaky: false, repoName: 'demo', runner: 'p' }
    store.getState().detailLoaded({ kind: 'job', job: old, needs: [], attempts: [], artifacts: [], provenance: { origin: 'o', repo: 'r', ref: 'refs/heads/main', commit: base.commit, inputs: { pipelineJob: 'build', labels: [], priority: 'normal', timeoutMs: 1, retry: { max: 0, when: [] }, sensitive: false } } })
    expect(store.getState().jobs[id]).toMatchObject({ status: 'running', startedAt: 5, repoName: 'demo' })
  })
})
