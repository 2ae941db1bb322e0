import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { waitMeshed } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, logOf } from './builds.ts'
import { commitAll, git } from './fixtures/c-project.ts'

const fx = gridFixture()

/** a <- (b, c) <- d: each writes a file from what it received; `B_EXIT` decides b's exit code. */
const DIAMOND = `version: 1
jobs:
  d:
    needs: [b, c]
    steps:
      - cat "$DEVQ_NEEDS_DIR/b/b.txt" "$DEVQ_NEEDS_DIR/c/c.txt" > d.txt
    artifacts: [{ name: d.txt, paths: [d.txt] }]
  b:
    needs: a
    steps:
      - (cat "$DEVQ_NEEDS_DIR/a/a.txt"; echo b) > b.txt
      - exit "\${B_EXIT}"
    env: { B_EXIT: "0" }
    artifacts: [{ name: b.txt, paths: [b.txt] }]
  c:
    needs: a
    steps:
      - (cat "$DEVQ_NEEDS_DIR/a/a.txt"; echo c) > c.txt
    artifacts: [{ name: c.txt, paths: [c.txt] }]
  a:
    steps:
      - echo "a from $DEVQ_SHA" > a.txt
    artifacts: [{ name: a.txt, paths: [a.txt] }]
`

describe('needs between the jobs of a run (real processes)', () => {
  it('runs a diamond of four jobs in order, passing artifacts along; a failure skips its dependants only', async () => {
    const cluster = await fx.grid(3, (i) => ['--slots', i === 0 ? '0' : '2'])
    const [a] = cluster.nodes
    await waitMeshed(cluster.nodes)
    const repo = await fx.repo(DIAMOND, 'diamond')
    const commit = await git(repo, ['rev-parse', 'HEAD'])

    const { jobs } = await build(a!, repo)
    for (const j of jobs.values()) expect(j.status, `${j.pipelineJob}: ${JSON.stringify(j.attempts)}`).toBe('succeeded')
    const at = (id: string, edge: 'startedAt' | 'finishedAt'): number => jobs.get(id)!.attempts[0]![edge]!
    expect(at('b', 'startedAt')).toBeGreaterThanOrEqual(at('a', 'finishedAt'))
    expect(at('c', 'startedAt')).toBeGreaterThanOrEqual(at('a', 'finishedAt'))
    expect(at('d', 'startedAt')).toBeGreaterThanOrEqual(Math.max(at('b', 'finishedAt'), at('c', 'finishedAt')))
    const out = await mkdtemp(join(repo, 'out-'))
    const [file] = (await a!.post<{ files: { path: string }[] }>('/v1/pull', { job: jobs.get('d')!.id, out })).files
    expect(await readFile(file!.path, 'utf8')).toBe(`a from ${commit}\nb\na from ${commit}\nc\n`)

    await writeFile(join(repo, '.devq.yml'), DIAMOND.replace('B_EXIT: "0"', 'B_EXIT: "3"'))
    await commitAll(repo, 'b fails')
    const failed = (await build(a!, repo)).jobs
    expect(failed.get('b')).toMatchObject({ status: 'failed', attempts: [{ outcome: 'failed', failure: 'exit_code', exitCode: 3 }] })
    expect(failed.get('c')!.status).toBe('succeeded')
    expect(failed.get('d')).toMatchObject({ status: 'skipped', skippedBecause: 'needs b, which was failed', attempts: [] })
    expect(await logOf(a!, failed.get('b')!.id)).toMatch(/step exit "3" failed: exit code 3/)
  }, 300_000)
})
