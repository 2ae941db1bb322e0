/**
 * hook_overhead_ms: how much longer `git commit` takes with DevQ's hooks installed than without
 * them, with a devq-node running (no slots, so no build competes for the CPU). Two repositories
 * of the same shape, one hooked, take alternating commits of one changed file; each hooked commit
 * is followed by a wait until its announce reached the node (the hook's log says so), so the
 * background work of one commit never runs during the next measurement. Target: <= 50 ms.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { cli, startCluster, waitFor } from '../../packages/node/test/harness.ts'
import { commitAll, git } from '../../packages/node/test/fixtures/c-project.ts'

const PIPELINE = 'version: 1\njobs:\n  hello:\n    steps: ["echo hello"]\n'

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function newRepo (dir: string): Promise<void> {
  await execa('git', ['init', '-q', '-b', 'main', dir])
  await writeFile(join(dir, '.devq.yml'), PIPELINE)
  await commitAll(dir, 'first')
}

/** Wall ms of one `git commit` of one changed file. */
async function timedCommit (dir: string, n: number): Promise<{ ms: number, commit: string }> {
  await writeFile(join(dir, 'file.txt'), `change ${n}\n`)
  await git(dir, ['add', 'file.txt'])
  const t0 = performance.now()
  await git(dir, ['commit', '-q', '-m', `change ${n}`])
  const ms = performance.now() - t0
  return { ms, commit: await git(dir, ['rev-parse', 'HEAD']) }
}

async function announced (dataDir: string, commit: string): Promise<void> {
  await waitFor(`the announce of ${commit.slice(0, 8)}`, async () => {
    const log = await readFile(join(dataDir, 'hooks.log'), 'utf8').catch(() => '')
    return log.split('\n').some((l) => l.includes('"event":"announced"') && l.includes(commit))
  }, 60_000, 10)
}

/**
 * Measures hook_overhead_ms over `commits` commits with and without the hooks (default 15 each,
 * after one warm-up commit each). Starts and stops its own node; `log` gets one line of samples.
 */
export async function measureHookOverhead (opts: { commits?: number, log?: (line: string) => void } = {}): Promise<Record<string, number>> {
  const commits = opts.commits ?? 15
  const work = await mkdtemp(join(tmpdir(), 'devq-bhook-'))
  const cluster = await startCluster(1, () => ['--slots', '0'])
  try {
    const node = cluster.nodes[0]!
    const [plain, hooked] = [join(work, 'plain'), join(work, 'hooked')]
    await newRepo(plain)
    await newRepo(hooked)
    await cli(['hook', 'install', '--repo', hooked, '--data-dir', node.dataDir])
    const samples = { plain: [] as number[], hooked: [] as number[] }
    for (let i = 0; i <= commits; i++) {
      const p = await timedCommit(plain, i)
      const h = await timedCommit(hooked, i)
      await announced(node.dataDir, h.commit)
      // The first commit of each warms git's and the file system's caches.
      if (i === 0) continue
      samples.plain.push(p.ms)
      samples.hooked.push(h.ms)
    }
    const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(', ')
    opts.log?.(`  hook: git commit without hooks ${fmt(samples.plain)} ms; with DevQ's hooks ${fmt(samples.hooked)} ms`)
    const round = (x: number): number => Math.round(x * 10) / 10
    return {
      hook_commit_plain_ms: round(median(samples.plain)),
      hook_commit_hooked_ms: round(median(samples.hooked)),
      hook_overhead_ms: round(median(samples.hooked) - median(samples.plain))
    }
  } finally {
    await cluster.stop()
    await rm(work, { recursive: true, force: true })
  }
}

/** The suite entry `npm run bench -- cli-hook` calls. */
export async function run (log: (line: string) => void): Promise<Record<string, number>> {
  return await measureHookOverhead({ log })
}
