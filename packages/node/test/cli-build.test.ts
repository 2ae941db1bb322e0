/**
 * The daily `devq` commands on real builds of a tiny pipeline, on one grid of two devq-node
 * processes for the whole file: runs, retry and cancel of a run, show (attempts, artifacts,
 * provenance), logs (raw, drawn, colours off), pull with progress, and pipeline errors.
 */
import { basename, join } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, startCluster, tempDataDir, waitFor, waitMeshed, type Cluster, type NodeProc } from './harness.ts'
import { logOf, sha256File, waitRun, type BuildJob } from './builds.ts'
import { commitAll, git } from './fixtures/c-project.ts'
import { devq, devqOk, validJson } from './cli-run.ts'
import type { ActionOutput, RunLine, ShowJobOutput, ShowRunOutput } from '../src/cli-schemas.ts'

const PIPELINE = `version: 1
jobs:
  flaky:
    env: { GREETING: hello }
    steps:
      - name: setup
        run: |
          echo "::group::details"
          echo "inside the group"
          echo "::endgroup::"
      - name: colour
        run: printf '\\033[32mgreen from the build\\033[0m\\n'
      - name: check
        run: '[ "$DEVQ_ATTEMPT" -ge 2 ] || exit 3'
      - name: make
        run: echo built > out.txt
    artifacts: [{ name: out.txt, paths: [out.txt] }]
  after:
    needs: flaky
    steps: ["echo after"]
  hang:
    steps: ["sleep 600"]
`

let cluster: Cluster
let a: NodeProc
let b: NodeProc
const dirs: string[] = []
let repo: string
let run: string
let jobs: Map<string, BuildJob>
const on = (args: string[]): string[] => [...args, '--data-dir', a.dataDir]

async function newRepo (name: string, files: Record<string, string>): Promise<string> {
  const dir = await tempDataDir(name)
  dirs.push(dir)
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text)
  await git(dir, ['init', '-q', '-b', 'main'])
  await commitAll(dir, 'first commit')
  return dir
}

const runJobs = async (id: string): Promise<Map<string, BuildJob>> => new Map((await a.get<{ jobs: BuildJob[] }>(`/v1/runs/${id}`)).jobs.map((j) => [j.pipelineJob, j]))

beforeAll(async () => {
  // A only announces; B runs two jobs at once.
  cluster = await startCluster(2, (i) => ['--slots', i === 0 ? '0' : '2'])
  ;[a, b] = cluster.nodes as [NodeProc, NodeProc]
  await waitMeshed(cluster.nodes)
  repo = await newRepo('cli-repo', { '.devq.yml': PIPELINE })
}, 120_000)
afterAll(async () => {
  await cluster?.stop()
  await Promise.all(dirs.map(removeDir))
})

describe('a run of real jobs', () => {
  it('lists the run with its subject; retry --failed retries only the failed job; show lists both attempts', async () => {
    run = validJson<{ run: string }>('run', await devqOk(on(['run', '--repo', repo, '--json']))).run
    const first = await waitFor('flaky to fail and hang to run', async () => {
      const js = await runJobs(run)
      return js.get('flaky')?.status === 'failed' && js.get('after')?.status === 'skipped' && js.get('hang')?.status === 'running' ? js : undefined
    }, 120_000, 250)
    const hang = first.get('hang')!.id
    expect(validJson<ActionOutput>('action', await devqOk(on(['cancel', hang.slice(0, 8), '--json']))).jobs).toMatchObject([{ id: hang, status: 'cancelled' }])

    const listed = validJson<{ runs: RunLine[] }>('runs', await devqOk(on(['runs', '--json']))).runs
    expect(listed).toEqual([expect.objectContaining({ run, repoName: basename(repo), ref: 'refs/heads/main', subject: 'first commit', status: 'failed', jobs: { total: 3, succeeded: 0, failed: 1, cancelled: 1, skipped: 1, active: 0 } })])
    for (const repoArg of [basename(repo), listed[0]!.repo.slice(0, 8)]) expect(validJson<{ runs: RunLine[] }>('runs', await devqOk(on(['runs', '--repo', repoArg, '--json']))).runs.map((r) => r.run)).toEqual([run])
    expect(validJson<{ runs: RunLine[] }>('runs', await devqOk(on(['runs', '--repo', 'no-such-repo', '--json']))).runs).toEqual([])
    expect(await devqOk(on(['runs']))).toMatch(new RegExp(`^${run.slice(0, 12)} +${basename(repo)} +main +[0-9a-f]{10} +first commit +failed +0/3 succeeded, 1 failed, 1 cancelled, 1 skipped`))

    const retried = validJson<ActionOutput>('action', await devqOk(on(['retry', run.slice(0, 6), '--failed', '--json'])))
    expect(retried).toMatchObject({ action: 'retry', target: { kind: 'run', id: run }, jobs: [{ pipelineJob: 'flaky' }] })
    expect(retried.untouched.map((j) => j.pipelineJob).sort()).toEqual(['after', 'hang'])
    jobs = await waitRun(a, run, 120_000, (j) => ['succeeded', 'cancelled'].includes(j.status))
    expect([...jobs].map(([name, j]) => `${name} ${j.status}`).sort()).toEqual(['after succeeded', 'flaky succeeded', 'hang cancelled'])

    const shown = validJson<ShowJobOutput>('show', await devqOk(on(['show', 'flaky', '--json'])))
    expect(shown.attempts).toMatchObject([{ n: 1, runner: b.peerId, outcome: 'failed', failure: 'exit_code', exitCode: 3 }, { n: 2, runner: b.peerId, outcome: 'succeeded' }])
    expect(shown.attempts[0]!.reason).toMatch(/step check failed: exit code 3/)
    expect(shown.artifacts).toEqual([expect.objectContaining({ kind: 'binary', name: 'out.txt', size: 6, digest: jobs.get('flaky')!.result!.artifacts[0]!.digest })])
    expect(shown.provenance).toMatchObject({ origin: a.peerId, commit: await git(repo, ['rev-parse', 'HEAD']), tree: await git(repo, ['rev-parse', 'HEAD^{tree}']), runner: b.peerId, run, inputs: { pipelineJob: 'flaky', envKeys: ['GREETING'], secrets: [] } })
    const text = await devqOk(on(['show', jobs.get('flaky')!.id.slice(0, 8)]))
    expect(text).toMatch(/#1 +on …\S+ +failed \(exit_code, exit 3\) +started \S+ \S+ +\S+ +step check failed/)
    expect(text).toMatch(/#2 +on …\S+ +succeeded +started/)
    expect(text).toMatch(/binary +out\.txt +6 B +sha256:[0-9a-f]{64}/)

    const shownRun = validJson<ShowRunOutput>('show', await devqOk(on(['show', run, '--json'])))
    expect(shownRun.jobs.find((j) => j.pipelineJob === 'after')!.needs).toEqual([{ pipelineJob: 'flaky', job: jobs.get('flaky')!.id, status: 'succeeded' }])
    expect((await devq(on(['show', run, '--exit-status']))).code).toBe(1)
    expect((await devq(on(['show', 'flaky', '--exit-status']))).code).toBe(0)
  }, 300_000)

  it('logs: the stored bytes when not a terminal; groups and colours drawn with FORCE_COLOR; none with --no-color or NO_COLOR', async () => {
    const id = jobs.get('flaky')!.id
    const raw = await devqOk(on(['logs', 'flaky']))
    expect(raw).toBe(await logOf(a, id))
    expect(raw).toContain('+++ [devq] step: setup\n::group::details\ninside the group\n::endgroup::\n')
    expect(raw).toContain('\u001b[32mgreen from the build\u001b[0m\n')
    const drawn = await devqOk(on(['logs', id.slice(0, 8)]), { FORCE_COLOR: '1' })
    expect(drawn).toContain('\u001b[1m\u001b[36m▶ setup\u001b[39m\u001b[22m\n')
    expect(drawn).toContain('\u001b[1m▸ details\u001b[22m\ninside the group\n')
    expect(drawn).not.toContain('::endgroup::')
    expect(drawn).toContain('\u001b[32mgreen from the build\u001b[0m\n')
    expect(drawn).toMatch(/✓ step make succeeded in [\d.]+ s/)
    expect(drawn).toMatch(/steps:\S* setup \S*✓\S* [\d.]+ s, colour .*, check .*, make \S*✓/)
    expect(await devqOk(on(['logs', 'flaky', '--attempt', '1']), { FORCE_COLOR: '1' })).toMatch(/✗ step check failed: exit code 3/)
    expect(await devqOk(on(['logs', 'flaky', '--no-color']), { FORCE_COLOR: '1' })).toBe(raw)
    expect(await devqOk(on(['logs', 'flaky']), { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(raw)
    // After the job, -f prints the whole log and ends.
    expect(await devqOk(on(['logs', 'flaky', '-f']))).toBe(raw)
  }, 120_000)

  it('pull shows bytes, rate and ETA with --progress, and stays quiet with --json', async () => {
    const out = join(repo, 'pulled')
    const shown = await devq(on(['pull', 'flaky', '-o', out, '--progress']))
    expect(shown.code).toBe(0)
    expect(shown.stderr).toMatch(/^pull +100% {2}6 B \/ 6 B {2}\d+(\.\d)? (B|KiB|MiB)\/s {2}ETA 0s$/m)
    expect(await readFile(join(out, 'out.txt'), 'utf8')).toBe('built\n')
    const quiet = await devq(on(['pull', 'flaky', '-o', join(repo, 'quiet'), '--json']))
    expect(quiet.stderr).toBe('')
    const { files } = validJson<{ files: { path: string, digest: string }[] }>('pull', quiet.stdout)
    expect(await sha256File(files[0]!.path)).toBe(files[0]!.digest)
  }, 120_000)

  it('cancel of a run cancels every job not yet ended; retry of the run brings back its cancelled jobs and their skipped dependants', async () => {
    await writeFile(join(repo, '.devq.yml'), 'version: 1\njobs:\n  slow:\n    steps: ["sleep 600"]\n  tail:\n    needs: slow\n    steps: ["echo tail"]\n')
    await commitAll(repo, 'second commit')
    const second = (JSON.parse(await devqOk(on(['run', '--repo', repo, '--json']))) as { run: string }).run
    await waitFor('slow to run while tail waits', async () => {
      const js = await runJobs(second)
      return js.get('slow')?.status === 'running' && js.get('tail')?.status === 'waiting'
    }, 120_000, 250)
    const cancelled = validJson<ActionOutput>('action', await devqOk(on(['cancel', second, '--json'])))
    // The running job is cancelled; the one waiting for it ends as skipped, so a retry brings both back.
    expect(cancelled.jobs.map((j) => `${j.pipelineJob} ${j.status}`)).toEqual(['slow cancelled'])
    expect(cancelled.untouched).toMatchObject([{ pipelineJob: 'tail', status: 'skipped', why: 'skipped: it was waiting for a job cancelled here' }])
    expect((await runJobs(run)).get('hang')!.status).toBe('cancelled')
    const back = validJson<ActionOutput>('action', await devqOk(on(['retry', second, '--json'])))
    expect(back.jobs.map((j) => `${j.pipelineJob} ${j.status}`)).toEqual(['slow queued'])
    expect(back.untouched).toMatchObject([{ pipelineJob: 'tail', status: 'waiting', why: 'skipped: it waits again once the jobs it needs are retried' }])
    await waitFor('slow to run again', async () => (await runJobs(second)).get('slow')?.status === 'running', 120_000, 250)
    expect(await devqOk(on(['cancel', second]))).toMatch(/^cancelled 1 job\(s\) of run [0-9a-f]{12}\n {2}slow .*\nleft alone:\n {2}tail +[0-9a-f]{12} +skipped: it was waiting/)
  }, 180_000)

  it('a commit without .devq.yml and a pipeline error exit 2 and say why, with file:line:col', async () => {
    const bare = await newRepo('cli-bare', { Makefile: 'all:\n\ttrue\n' })
    const none = await devq(on(['run', '--repo', bare]))
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no \.devq\.yml in commit [0-9a-f]{12} \(DevQ reads it from the commit, not the working tree\)\. A starter/)
    await writeFile(join(bare, '.devq.yml'), 'version: 1\njobs:\n  x:\n    steps: [make]\n')
    const uncommitted = await devq(on(['run', '--repo', bare]))
    expect(uncommitted.code).toBe(2)
    expect(uncommitted.stderr).toContain(`The .devq.yml in ${bare} is not in that commit yet: git add .devq.yml && git commit, then run again.`)
    const broken = await newRepo('cli-broken', { '.devq.yml': 'version: 1\njobs:\n  build:\n    steps: make\n' })
    const bad = await devq(on(['run', '--repo', broken]))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^devq: \.devq\.yml:4:\d+ jobs\.build\.steps/m)
  }, 60_000)
})
