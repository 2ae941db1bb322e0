import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { execa } from 'execa'
import { cli, waitFor, waitMeshed, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { hasEnded, startRun, type BuildJob, type RunAnswer } from './builds.ts'
import { expectRanOnce, readRuns } from './runs.ts'
import { commitAll, git } from './fixtures/c-project.ts'

const fx = gridFixture()

/** One job that always runs (no build avoidance), so a second run of a commit would show. */
const PIPELINE = `version: 1
jobs:
  hello:
    cache: false
    steps: ["echo built $DEVQ_SHA"]
`

interface HookJob extends BuildJob { commit: string, ref: string, run: string, result?: NonNullable<BuildJob['result']> & { attempt: number } }
interface LogLine { event: string, commit?: string, ref?: string, run?: string, existing?: boolean, rewrite?: string, dir?: string, by?: string }

async function jobsOf (node: NodeProc, commit: string): Promise<HookJob[]> {
  return (await node.get<HookJob[]>('/v1/jobs?limit=10000')).filter((j) => j.commit === commit)
}

/** Waits until `commit` has a run whose jobs all ended; throws if it has more than one run. */
async function endedRunOf (node: NodeProc, commit: string, timeoutMs = 120_000): Promise<HookJob[]> {
  return await waitFor(`a run of ${commit.slice(0, 8)} to end`, async () => {
    const jobs = await jobsOf(node, commit)
    const runs = new Set(jobs.map((j) => j.run))
    if (runs.size > 1) throw new Error(`${commit} has ${runs.size} runs`)
    return jobs.length > 0 && jobs.every((j) => hasEnded(j.status)) ? jobs : undefined
  }, timeoutMs, 250)
}

async function hookLog (dataDir: string): Promise<LogLine[]> {
  const text = await readFile(join(dataDir, 'hooks.log'), 'utf8').catch(() => '')
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine)
}

async function waitLogged (dataDir: string, what: string, check: (lines: LogLine[]) => boolean): Promise<LogLine[]> {
  return await waitFor(what, async () => { const lines = await hookLog(dataDir); return check(lines) ? lines : undefined })
}

const head = async (repo: string): Promise<string> => await git(repo, ['rev-parse', 'HEAD'])

describe('git hooks announce every commit to the grid', () => {
  it('announces a commit once per ref and job set: a second POST /v1/runs answers the existing run, concurrent ones too, unless asked again', async () => {
    const [a] = (await fx.grid(1, () => ['--slots', '1'])).nodes as [NodeProc]
    const repo = await fx.repo(PIPELINE.replace('jobs:\n', 'jobs:\n  other:\n    steps: ["true"]\n'))
    type Answer = RunAnswer & { existing: boolean, ref: string }
    const [x, y] = await Promise.all([startRun(a, repo), startRun(a, repo)]) as [Answer, Answer]
    expect(x.run).toBe(y.run)
    expect([x.existing, y.existing].sort()).toEqual([false, true])
    const same = await startRun(a, repo, { priority: 'high' }) as Answer
    expect(same).toMatchObject({ run: x.run, existing: true, ref: 'refs/heads/main', jobs: x.jobs })
    const others = await Promise.all([startRun(a, repo, { jobs: ['hello'] }), startRun(a, repo, { ref: 'refs/heads/release' }), startRun(a, repo, { again: true })]) as Answer[]
    expect(others.map((r) => r.existing)).toEqual([false, false, false])
    expect(new Set([x.run, ...others.map((r) => r.run)]).size).toBe(4)
    expect(await startRun(a, repo, { jobs: ['hello'] })).toMatchObject({ run: others[0]!.run, existing: true })
    expect(new Set((await jobsOf(a, x.commit)).map((j) => j.run)).size).toBe(4)
  }, 120_000)

  it('builds each commit of a repository with its own post-commit hook (which still runs), an amend and a rebase once, and uninstall gives the hook back', async () => {
    const [a] = (await fx.grid(1, () => ['--slots', '1'])).nodes as [NodeProc]
    const repo = await fx.repo(PIPELINE)
    const marker = join(await fx.tempDir('marker'), 'seen')
    const own = `#!/bin/sh\ngit rev-parse HEAD >> '${marker}'\n`
    await writeFile(join(repo, '.git', 'hooks', 'post-commit'), own)
    await chmod(join(repo, '.git', 'hooks', 'post-commit'), 0o755)
    await cli(['hook', 'install', '--repo', repo, '--data-dir', a.dataDir])

    await writeFile(join(repo, 'a.txt'), 'one\n')
    const c1 = await commitAll(repo, 'one')
    const first = await endedRunOf(a, c1)
    expect(first.map((j) => [j.pipelineJob, j.status, j.ref])).toEqual([['hello', 'succeeded', 'refs/heads/main']])
    expect(await readFile(marker, 'utf8')).toBe(`${c1}\n`)

    // post-commit and post-rewrite both announce an amend: one run.
    await writeFile(join(repo, 'a.txt'), 'one, better\n')
    await git(repo, ['commit', '-q', '-a', '--amend', '-m', 'one, amended'])
    const amended = await head(repo)
    expect((await endedRunOf(a, amended))[0]!.status).toBe('succeeded')
    const twice = await waitLogged(a.dataDir, 'both announces of the amend', (ls) => ls.filter((l) => l.event === 'announced' && l.commit === amended).length === 2)
    expect(twice.filter((l) => l.event === 'announced' && l.commit === amended).map((l) => l.existing).sort()).toEqual([false, true])
    expect(await jobsOf(a, amended)).toHaveLength(1)

    await git(repo, ['checkout', '-q', '-b', 'feature'])
    for (const f of ['f1', 'f2']) {
      await writeFile(join(repo, `${f}.txt`), `${f}\n`)
      await endedRunOf(a, await commitAll(repo, f))
    }
    await git(repo, ['checkout', '-q', 'main'])
    await writeFile(join(repo, 'm.txt'), 'm\n')
    await endedRunOf(a, await commitAll(repo, 'm'))
    await git(repo, ['checkout', '-q', 'feature'])
    await git(repo, ['rebase', '-q', 'main'])
    const rebased = await head(repo)
    const picked = await git(repo, ['rev-parse', 'HEAD~1'])
    const tip = await endedRunOf(a, rebased)
    expect(tip.map((j) => [j.status, j.ref])).toEqual([['succeeded', 'refs/heads/feature']])
    const log = await hookLog(a.dataDir)
    expect(log.filter((l) => l.event === 'queued' && l.commit === rebased).map((l) => l.rewrite)).toEqual(['rebase'])
    // The commit the rebase picked on the way is built as part of its tip, not on its own.
    expect(log.filter((l) => l.commit === picked)).toEqual([])
    expect(await jobsOf(a, picked)).toEqual([])

    await cli(['hook', 'uninstall', '--repo', repo])
    expect(await readFile(join(repo, '.git', 'hooks', 'post-commit'), 'utf8')).toBe(own)
    expect(await readdir(join(repo, '.git', 'hooks'))).not.toContain('post-rewrite')
  }, 300_000)

  it('builds a commit in a repository whose hooks live under core.hooksPath', async () => {
    const [a] = (await fx.grid(1, () => ['--slots', '1'])).nodes as [NodeProc]
    const repo = await fx.repo(PIPELINE)
    await git(repo, ['config', 'core.hooksPath', 'tools/hooks'])
    await mkdir(join(repo, 'tools', 'hooks'), { recursive: true })
    await cli(['hook', 'install', '--repo', repo, '--data-dir', a.dataDir])
    expect((await readdir(join(repo, 'tools', 'hooks'))).sort()).toEqual(['post-commit', 'post-rewrite'])
    await writeFile(join(repo, 'b.txt'), 'b\n')
    const commit = await commitAll(repo, 'b')
    expect((await endedRunOf(a, commit)).map((j) => j.status)).toEqual(['succeeded'])
    // A directory whose name JSON must escape: the hook hands the commit to devq hook announce instead.
    const quoted = await fx.repo(PIPELINE, 'say "hi"')
    await cli(['hook', 'install', '--repo', quoted, '--data-dir', a.dataDir])
    await writeFile(join(quoted, 'q.txt'), 'q\n')
    const other = await commitAll(quoted, 'q')
    expect((await endedRunOf(a, other)).map((j) => j.status)).toEqual(['succeeded'])
    expect((await hookLog(a.dataDir)).filter((l) => l.commit === other).map((l) => [l.event, l.dir])).toContainEqual(['queued', quoted])
  }, 180_000)

  it('queues commits made while no node runs; the node announces them at start, each commit once, and sets aside what it cannot build', async () => {
    const cluster = await fx.grid(1, () => ['--slots', '1'])
    const dir = cluster.dirs[0]!
    const repo = await fx.repo(PIPELINE)
    const broken = await fx.repo(PIPELINE, 'broken')
    for (const r of [repo, broken]) await cli(['hook', 'install', '--repo', r, '--data-dir', dir])
    await cluster.nodes[0]!.stop()

    await writeFile(join(repo, 'a.txt'), 'a\n')
    const c1 = await commitAll(repo, 'while the node is down')
    await git(repo, ['commit', '-q', '--amend', '-m', 'amended while the node is down'])
    const c2 = await head(repo)
    await writeFile(join(broken, '.devq.yml'), 'version: 1\njobs: [not, a, map]\n')
    const bad = await commitAll(broken, 'a broken pipeline')
    // Four announces (c1, the amend's two, the broken one), each queued for the node to come.
    await waitLogged(dir, 'four announces to queue their commits', (ls) => ls.filter((l) => l.event === 'queued').length === 4)
    await writeFile(join(dir, 'hook-queue', '0000000000001-0badf00d.json'), '{"v":1,"dir":"relative"}')
    expect((await readdir(join(dir, 'hook-queue'))).filter((f) => f.endsWith('.json'))).toHaveLength(5)

    const back = await cluster.add(['--slots', '1'], dir)
    const [one, two] = [await endedRunOf(back, c1), await endedRunOf(back, c2)]
    expect([...one, ...two].map((j) => j.status)).toEqual(['succeeded', 'succeeded'])
    await waitFor('the queue to empty', async () => (await readdir(join(dir, 'hook-queue'))).every((f) => !f.endsWith('.json')))
    const failed = await Promise.all((await readdir(join(dir, 'hook-queue', 'failed'))).sort().map(async (f) => JSON.parse(await readFile(join(dir, 'hook-queue', 'failed', f), 'utf8')) as { reason: string, entry: { commit?: string } }))
    expect(failed.map((f) => [f.reason, f.entry.commit])).toEqual([['invalid_entry', undefined], ['bad_pipeline', bad]])
    expect(await jobsOf(back, bad)).toEqual([])

    // devq run of the same commit shows the run the queue announced; it does not build again.
    const again = JSON.parse(await cli(['run', '--repo', repo, '--json', '--data-dir', dir])) as { run: string, existing: boolean }
    expect(again).toMatchObject({ run: two[0]!.run, existing: true })
    expect(await cli(['run', '--repo', repo, '--data-dir', dir])).toMatch(/already announced for/)
    expect(await jobsOf(back, c2)).toHaveLength(1)
    expectRanOnce((await readRuns([dir])).filter((r) => [one[0]!.id, two[0]!.id].includes(r.job)), await Promise.all([one[0]!.id, two[0]!.id].map(async (id) => await back.get<HookJob>(`/v1/jobs/${id}`))))
    expect((await back.get<{ peer: { id: string } }>('/v1/status')).peer.id).toBe(back.peerId)
  }, 300_000)

  it('builds every branch head pushed to a shared bare repository, served to the runner from that repository', async () => {
    const cluster = await fx.grid(2, (i) => ['--slots', i === 0 ? '0' : '1'])
    const [server, runner] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    const bare = join(await fx.tempDir('server'), 'project.git')
    await execa('git', ['init', '-q', '--bare', '-b', 'main', bare])
    const marker = join(await fx.tempDir('marker'), 'pushed')
    await writeFile(join(bare, 'hooks', 'post-receive'), `#!/bin/sh\ncat >> '${marker}'\n`, { mode: 0o755 })
    await cli(['hook', 'install', '--server', '--repo', bare, '--data-dir', server.dataDir])

    const dev = await fx.repo(PIPELINE, 'dev')
    await git(dev, ['remote', 'add', 'origin', bare])
    await git(dev, ['push', '-q', 'origin', 'main'])
    const main = await head(dev)
    const built = await endedRunOf(server, main)
    expect(built.map((j) => [j.status, j.ref, j.origin, j.result?.by])).toEqual([['succeeded', 'refs/heads/main', server.peerId, runner.peerId]])
    // The hook's own lines saw the same push on their stdin.
    expect(await readFile(marker, 'utf8')).toBe(`${'0'.repeat(40)} ${main} refs/heads/main\n`)

    await git(dev, ['tag', 'v1'])
    await git(dev, ['checkout', '-q', '-b', 'topic'])
    await writeFile(join(dev, 't.txt'), 't\n')
    const topic = await commitAll(dev, 'topic')
    await git(dev, ['push', '-q', 'origin', 'v1', 'topic'])
    expect((await endedRunOf(server, topic)).map((j) => [j.status, j.ref])).toEqual([['succeeded', 'refs/heads/topic']])
    const log = await hookLog(server.dataDir)
    expect(log.filter((l) => l.event === 'queued').map((l) => l.ref)).toEqual(['refs/heads/main', 'refs/heads/topic'])
    expect((await jobsOf(server, main)).map((j) => j.ref)).toEqual(['refs/heads/main'])
  }, 300_000)
})
