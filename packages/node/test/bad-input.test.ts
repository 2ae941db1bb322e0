import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, waitMeshed, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, logOf } from './builds.ts'
import { commitAll } from './fixtures/c-project.ts'

const fx = gridFixture()

/** Peak resident memory of a process (VmHWM), in bytes. */
async function peakRss (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024
}

const ESCAPES = `version: 1
jobs:
  symlink:
    steps: ["ln -s /etc/passwd leak"]
    artifacts: [{ name: leak, paths: [leak] }]
  tar-dotdot:
    steps:
      - python3 -c "import io,tarfile; t=tarfile.open('evil.tar.gz','w:gz'); d=b'x'; i=tarfile.TarInfo('../evil'); i.size=1; t.addfile(i, io.BytesIO(d)); t.close()"
    artifacts: [{ name: evil, kind: package, paths: [evil.tar.gz] }]
  flood:
    steps: ["head -c 1073741824 /dev/zero | tr '\\\\0' x; echo; echo after the flood"]
  bomb:
    steps: ["bomb() { bomb | bomb & }; bomb; sleep 30"]
  snoop:
    steps:
      - for f in "$RUNNER_DIR/peer.key" "$RUNNER_DIR/api.token" "$RUNNER_DIR/team.json" "$RUNNER_DIR/ledger" /root; do if [ -n "$(ls -A "$f" 2>/dev/null)" ]; then echo "SEES $f"; fi; done
      - echo snooped
`

describe('bad input from a pipeline (real processes)', () => {
  it('refuses paths that leave the workspace, and a matrix of 10,000 cells, before anything is announced', async () => {
    const cluster = await fx.grid(1)
    const [a] = cluster.nodes as [NodeProc]
    const dotdot = await fx.repo({ '.devq.yml': 'version: 1\njobs:\n  x:\n    steps: [make]\n    artifacts: [{ name: x, paths: ["../x"] }]\n' })
    await expect(a.post('/v1/runs', { dir: dotdot })).rejects.toThrow(/\.devq\.yml:5:\d+ jobs\.x\.artifacts\[0\]\.paths.*inside the workspace/)
    const absolute = await fx.repo({ '.devq.yml': 'version: 1\njobs:\n  x:\n    steps: [make]\n    artifacts: [{ name: x, paths: [/etc/passwd] }]\n' })
    await expect(a.post('/v1/runs', { dir: absolute })).rejects.toThrow(/\.devq\.yml:5:\d+ .*relative/)
    const axis = (n: string): string => `${n}: [${Array.from({ length: 10 }, (_, i) => i).join(', ')}]`
    const matrix = await fx.repo({ '.devq.yml': `version: 1\njobs:\n  x:\n    matrix:\n      ${axis('a')}\n      ${axis('b')}\n      ${axis('c')}\n      ${axis('d')}\n    steps: [make]\n` })
    await expect(a.post('/v1/runs', { dir: matrix })).rejects.toThrow(/jobs\.x\.matrix: the matrix has 10000 combinations \(a: 10 x b: 10 x c: 10 x d: 10\); at most 256 are allowed/)
    expect((await a.get<{ counts: Record<string, number> }>('/v1/status')).counts).toEqual({})
  }, 120_000)

  it('says what is wrong with a directory, a commit without a pipeline, and an unknown job', async () => {
    const cluster = await fx.grid(1)
    const [a] = cluster.nodes as [NodeProc]
    const plain = await fx.tempDir('plain')
    await expect(a.post('/v1/runs', { dir: plain })).rejects.toThrow(/is not in a git repository/)
    // A Makefile project that committed no .devq.yml (one in the working tree does not count).
    const project = await fx.repo({ Makefile: 'all:\n\techo hi\n' })
    await writeFile(join(project, '.devq.yml'), 'version: 1\njobs:\n  x:\n    steps: [make]\n')
    const err = await cli(['run', '--repo', project, '--data-dir', a.dataDir]).catch((e: unknown) => e as Error)
    expect(String(err)).toMatch(/no \.devq\.yml in commit [0-9a-f]{12}/)
    expect(String(err)).toMatch(/starter for this make project[\s\S]*make -j/)
    await commitAll(project, 'add the pipeline')
    await expect(a.post('/v1/runs', { dir: project, jobs: ['deploy'] })).rejects.toThrow(/no job \\"deploy\\" in \.devq\.yml; jobs: x/)
    expect((await a.get<{ counts: Record<string, number> }>('/v1/status')).counts).toEqual({})
  }, 120_000)

  it('fails a symlink out of the workspace, a tar with .. entries and a fork bomb; caps a 1 GiB log with bounded memory; hides the runner\'s data dir; the runner goes on', async () => {
    const cluster = await fx.grid(2, (i) => (i === 0 ? ['--slots', '0'] : ['--slots', '2', '--log-cap-mb', '1', '--step-max-processes', '64']))
    const [a, runner] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    const { jobs } = await build(a, await fx.repo({ '.devq.yml': ESCAPES.replace('steps:\n      - for f', `env: { RUNNER_DIR: "${runner.dataDir}" }\n    steps:\n      - for f`) }), {}, 240_000)
    expect(jobs.get('symlink')).toMatchObject({ status: 'failed', attempts: [{ failure: 'runner_error', reason: expect.stringMatching(/leak.*(outside|escape)/) }] })
    expect(jobs.get('tar-dotdot')).toMatchObject({ status: 'failed', attempts: [{ failure: 'runner_error', reason: expect.stringMatching(/evil.*\.\./) }] })
    expect(jobs.get('bomb')).toMatchObject({ status: 'failed', attempts: [{ failure: 'exit_code' }] })
    expect(await logOf(a, jobs.get('bomb')!.id)).toMatch(/process limit reached/)
    const flood = jobs.get('flood')!
    expect(flood.status).toBe('succeeded')
    const log = await logOf(a, flood.id)
    expect(log.length).toBeLessThan(1.1 * 1024 * 1024)
    expect(log.match(/log truncated/g)).toHaveLength(1)
    expect(await peakRss(runner.proc.pid!)).toBeLessThan(400 * 1024 * 1024)
    // A step sees none of the runner's keys, tokens, ledger or home.
    const snoop = await logOf(a, jobs.get('snoop')!.id)
    expect(snoop).toContain('snooped')
    expect(snoop).not.toContain('SEES')
    // The runner is still there and builds the next commit.
    const next = await build(a, await fx.repo({ '.devq.yml': 'version: 1\njobs:\n  ok:\n    steps: ["echo fine"]\n' }))
    expect(next.jobs.get('ok')!.status).toBe('succeeded')
  }, 300_000)
})
