/**
 * commit_to_running_p50_ms: from `git commit` returning in a hooked repository to the first step
 * of its build running on another peer. Three peers: the origin lends no slots, so every build
 * runs elsewhere; the step prints the host's wall clock in nanoseconds (`date +%s%N`, one machine,
 * one clock) as its first output, and the figure is that minus the wall clock when `git commit`
 * returned. Each commit waits for its job to succeed before the next, so builds never queue.
 * Target: <= 150 ms.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { cli, startCluster, waitFor, waitMeshed, type NodeProc } from '../../packages/node/test/harness.ts'
import { commitAll, git } from '../../packages/node/test/fixtures/c-project.ts'

const PIPELINE = 'version: 1\njobs:\n  stamp:\n    steps: ["date +%s%N"]\n'

const percentile = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!

interface JobLine { id: string, commit: string, status: string }

/**
 * The wall ms the step of `commit`'s job printed, once the job succeeded. The figure comes from the
 * step's own clock, so how soon the bench notices the success does not change it; a slow poll keeps
 * the bench off the origin's event loop while it announces and serves the source, and lets the team
 * settle between commits as it does between a developer's.
 */
async function stepStartedAt (origin: NodeProc, commit: string): Promise<number> {
  const job = await waitFor(`the build of ${commit.slice(0, 8)}`, async () => {
    const jobs = await origin.get<JobLine[]>('/v1/jobs?limit=50')
    const j = jobs.find((x) => x.commit === commit)
    if (j?.status === 'failed') throw new Error(`the build of ${commit} failed`)
    return j?.status === 'succeeded' ? j : undefined
  }, 60_000, 250)
  const res = await fetch(`${origin.api}/v1/jobs/${job.id}/log`, { headers: { authorization: `Bearer ${await tokenOf(origin)}` } })
  const stamp = /^(\d{19})$/m.exec(await res.text())?.[1]
  if (stamp === undefined) throw new Error(`no time stamp in the log of ${job.id}`)
  return Number(BigInt(stamp) / 1_000_000n)
}

async function tokenOf (node: NodeProc): Promise<string> {
  return (await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim()
}

/**
 * Measures commit_to_running over `commits` commits (default 15, after one warm-up that brings
 * the runners' mirrors and workspaces up). Starts and stops its own three peers.
 */
export async function measureCommitToRunning (opts: { commits?: number, log?: (line: string) => void } = {}): Promise<Record<string, number>> {
  const commits = opts.commits ?? 15
  const work = await mkdtemp(join(tmpdir(), 'devq-bcommit-'))
  // As users run them: test nodes check every API answer against its schema, which costs the
  // origin time on the very path being measured.
  const cluster = await startCluster(3, (i) => i === 0 ? ['--slots', '0'] : ['--slots', '1'], { DEVQ_API_CHECK: '0' })
  try {
    const origin = cluster.nodes[0]!
    await waitMeshed(cluster.nodes)
    const repo = join(work, 'repo')
    await execa('git', ['init', '-q', '-b', 'main', repo])
    await writeFile(join(repo, '.devq.yml'), PIPELINE)
    await commitAll(repo, 'first')
    await cli(['hook', 'install', '--repo', repo, '--data-dir', origin.dataDir])
    const samples: number[] = []
    for (let i = 0; i <= commits; i++) {
      await writeFile(join(repo, 'file.txt'), `change ${i}\n`)
      await git(repo, ['add', 'file.txt'])
      await git(repo, ['commit', '-q', '-m', `change ${i}`])
      const returned = Date.now()
      const commit = await git(repo, ['rev-parse', 'HEAD'])
      const started = await stepStartedAt(origin, commit)
      if (i > 0) samples.push(started - returned)
    }
    opts.log?.(`  commit to running: ${samples.join(', ')} ms`)
    return { commit_to_running_p50_ms: percentile(samples, 0.5), commit_to_running_max_ms: Math.max(...samples) }
  } finally {
    await cluster.stop()
    await rm(work, { recursive: true, force: true })
  }
}

/** The suite entry `npm run bench -- cli-commit` calls. */
export async function run (log: (line: string) => void): Promise<Record<string, number>> {
  return await measureCommitToRunning({ log })
}
