/**
 * B7 and B8 on real devq-node processes: peer A (the developer's, no slots) announces, peer B
 * builds. Times run from the API call that announces to the moment A's job record says its
 * artifacts are on A, verified; A's API is polled every 5 ms.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { startCluster, waitFor, waitMeshed, type NodeProc } from '../../packages/node/test/harness.ts'
import type { BuildJob } from '../../packages/node/test/builds.ts'
import { commitAll, createCProject, git, helperSource } from '../../packages/node/test/fixtures/c-project.ts'

const B7_FILES = 200
const B7_SAMPLES = 5
const B8_SAMPLES = 10

/** One job's pipeline: incremental make of the project, the binary as its artifact. */
const MAKE_PIPELINE = `version: 1
jobs:
  build:
    workspace: incremental
    steps: [make]
    artifacts: [{ name: hello, kind: binary, paths: [build/hello] }]
`
/** One job that writes a 10 MB artifact. */
const BIG_PIPELINE = `version: 1
jobs:
  big:
    steps: ["head -c 10000000 /dev/urandom > big.bin"]
    artifacts: [{ name: big, paths: [big.bin] }]
`

/** Announces HEAD of `dir` on `a` and waits until the job's artifacts are on `a`; ms and the job. */
async function timedRun (a: NodeProc, dir: string): Promise<{ ms: number, job: BuildJob }> {
  const t0 = performance.now()
  const run = await a.post<{ jobs: { id: string }[] }>('/v1/runs', { dir })
  const id = run.jobs[0]!.id
  const job = await waitFor('the artifact on the origin', async () => {
    const j = await a.get<BuildJob>(`/v1/jobs/${id}`)
    if (j.status === 'failed' || j.status === 'skipped') throw new Error(`job ${j.pipelineJob} ${j.status}: ${JSON.stringify(j.attempts)}`)
    return j.pulled?.state === 'done' ? j : undefined
  }, 120_000, 5)
  return { ms: performance.now() - t0, job }
}

async function localMake (dir: string, change: (round: number) => Promise<void>, round: number): Promise<number> {
  await change(round)
  const t0 = performance.now()
  await execa('make', ['-s'], { cwd: dir })
  return performance.now() - t0
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function b7 (log: (line: string) => void, a: NodeProc, work: string): Promise<Record<string, number>> {
  const repo = join(work, 'b7')
  await createCProject(repo, B7_FILES, MAKE_PIPELINE)
  const local = join(work, 'b7-local')
  await execa('git', ['clone', '-q', repo, local])
  await execa('make', ['-s'], { cwd: local })
  // Warm the runner's incremental workspace with the first commit, as the local build is warm.
  const warm = await timedRun(a, repo)
  log(`  B7: first build of ${B7_FILES + 1} files on ${warm.job.result!.by.slice(-6)} took ${(warm.ms / 1000).toFixed(2)} s end to end`)
  const locals: number[] = []
  const grids: number[] = []
  for (let round = 0; round < B7_SAMPLES; round++) {
    const change = async (dir: string): Promise<void> => { await writeFile(join(dir, 'src', `part${7 + round}.c`), helperSource(7 + round, 99)) }
    locals.push(await localMake(local, async () => { await change(local) }, round))
    await change(repo)
    await commitAll(repo, `one file ${round}`)
    grids.push((await timedRun(a, repo)).ms)
  }
  log(`  B7: one changed file, ${B7_SAMPLES} commits: local make ${locals.map((m) => m.toFixed(0)).join(', ')} ms; grid commit -> artifact on origin ${grids.map((m) => m.toFixed(0)).join(', ')} ms`)
  return { b7_local_make_s: Math.round(median(locals)) / 1000, b7_grid_commit_to_artifact_s: Math.round(median(grids)) / 1000 }
}

async function b8 (log: (line: string) => void, a: NodeProc, work: string): Promise<Record<string, number>> {
  const repo = join(work, 'b8')
  await createCProject(repo, 2, BIG_PIPELINE)
  const first = await timedRun(a, repo)
  log(`  B8: first run (10 MB artifact built and pulled) ${first.ms.toFixed(0)} ms`)
  const samples: number[] = []
  for (let i = 0; i < B8_SAMPLES; i++) {
    await git(repo, ['commit', '-q', '--allow-empty', '-m', `same tree ${i}`])
    const { ms, job } = await timedRun(a, repo)
    if (job.status !== 'cached') throw new Error(`B8: expected a cached result, got ${job.status}`)
    samples.push(ms)
  }
  samples.sort((x, y) => x - y)
  log(`  B8: same tree again, cached with its 10 MB artifact on the origin: ${samples.map((s) => s.toFixed(0)).join(', ')} ms`)
  return { b8_cached_p50_ms: Math.round(samples[Math.floor(samples.length / 2)]!) }
}

/** Runs B7 and B8 on one grid of two peers. */
export async function runGrid (log: (line: string) => void): Promise<Record<string, number>> {
  const work = await mkdtemp(join(tmpdir(), 'devq-bgrid-'))
  const cluster = await startCluster(2, (i) => ['--slots', i === 0 ? '0' : '1'])
  try {
    await waitMeshed(cluster.nodes)
    const a = cluster.nodes[0]!
    return { ...await b7(log, a, work), ...await b8(log, a, work) }
  } finally {
    await cluster.stop()
    await rm(work, { recursive: true, force: true })
  }
}
