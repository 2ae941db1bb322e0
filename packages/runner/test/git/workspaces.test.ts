import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { PresenceInfo, silentLogger, workspaceKey } from '@devq/core'
import { runGit } from '../../src/git/exec.ts'
import { fetchSource } from '../../src/git/fetch.ts'
import { createMirrors, type Mirrors } from '../../src/git/mirrors.ts'
import { createWorkspaces } from '../../src/git/workspaces.ts'
import { dirBytes } from '../../src/git/usage.ts'
import { commitAll, git, sourcePeer, tempDirs, writeFiles } from './fixtures.ts'
import { findRepo, repoIdOf } from '../../src/git/read.ts'
import { rootCommits } from '../../src/git/roots.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

const MAKEFILE = [
  'prog: a.o b.o',
  '\tcc -o prog a.o b.o',
  'a.o: a.c',
  '\tcc -c a.c -o a.o',
  'b.o: b.c',
  '\tcc -c b.c -o b.o',
  ''
].join('\n')

async function gone (path: string): Promise<boolean> {
  return await lstat(path).then(() => false, () => true)
}

describe('workspaces', () => {
  let repo: string
  let c1: string
  let c2: string
  let mirrors: Mirrors
  beforeAll(async () => {
    const dev = await dirs.make('dev')
    await git(dev, 'init', '-q', '-b', 'main')
    await writeFiles(dev, { Makefile: MAKEFILE, 'a.c': 'int value(void) { return 1; }\n', 'b.c': '#include <stdio.h>\nint value(void);\nint main(void) { printf("%d\\n", value()); return 0; }\n' })
    c1 = await commitAll(dev, 'one')
    await writeFiles(dev, { 'a.c': 'int value(void) { return 2; }\n' })
    c2 = await commitAll(dev, 'two')
    repo = repoIdOf(await rootCommits(await findRepo(dev), c1))
    mirrors = createMirrors({ root: await dirs.make('mirrors') })
    const server = await sourcePeer([join(dev, '.git')], new Set([c1, c2]))
    for (const commit of [c1, c2]) await fetchSource({ mirrors, dial: server.dial, logger: silentLogger }, { repo, commit, peers: ['dev'] })
    await server.close()
  })

  it('a job that rewrites its worktree\'s .git cannot make the next checkout run a hook', async () => {
    const workspaces = createWorkspaces({ root: await dirs.make('ws'), mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    const first = await workspaces.prepare({ repo, commit: c1, key: 'evil', mode: 'incremental' })
    // The step points .git at its own git dir, whose config runs a program on the next git command.
    const marker = join(await dirs.make('marker'), 'ran')
    const evil = join(first.dir, '.evil')
    await execa('git', ['init', '-q', '--bare', evil])
    await writeFile(join(evil, 'objects', 'info', 'alternates'), join(mirrors.pathOf(repo), 'objects') + '\n')
    await execa('git', ['--git-dir', evil, 'config', 'core.fsmonitor', `touch ${marker}; false`])
    await execa('git', ['--git-dir', evil, 'config', 'core.bare', 'false'])
    await writeFile(join(first.dir, '.git'), `gitdir: ${evil}\n`)
    await first.release()
    const next = await workspaces.prepare({ repo, commit: c2, key: 'evil', mode: 'incremental' })
    expect(next.warm).toBe(true)
    expect(await gone(marker)).toBe(true)
    expect((await execa('git', ['-C', next.dir, 'rev-parse', 'HEAD'])).stdout).toBe(c2)
    await next.release()
  })

  it('incremental: moving to the next commit rewrites only the changed file, so make recompiles one object', async () => {
    const workspaces = createWorkspaces({ root: await dirs.make('ws'), mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    const first = await workspaces.prepare({ repo, commit: c1, key: 'build', mode: 'incremental' })
    expect(first.warm).toBe(false)
    const built = await execa('make', [], { cwd: first.dir })
    expect(built.stdout.match(/cc -c/g)).toHaveLength(2)
    expect((await execa(join(first.dir, 'prog'))).stdout).toBe('1')
    await first.release()
    expect(await workspaces.warmWorkspaces()).toEqual([workspaceKey(repo, 'build')])

    const next = await workspaces.prepare({ repo, commit: c2, key: 'build', mode: 'incremental' })
    expect(next).toMatchObject({ dir: first.dir, warm: true })
    const rebuilt = await execa('make', [], { cwd: next.dir })
    expect(rebuilt.stdout.split('\n')).toEqual(['cc -c a.c -o a.o', 'cc -o prog a.o b.o'])
    expect((await execa(join(next.dir, 'prog'))).stdout).toBe('2')
    expect(await git(next.dir, 'rev-parse', 'HEAD')).toBe(c2)
    await next.release()
  })

  it('incremental: a second prepare of the same key waits for the first release', async () => {
    const workspaces = createWorkspaces({ root: await dirs.make('ws'), mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    const first = await workspaces.prepare({ repo, commit: c1, key: 'same', mode: 'incremental' })
    const events: string[] = []
    const second = workspaces.prepare({ repo, commit: c2, key: 'same', mode: 'incremental' }).then((ws) => { events.push('second ready'); return ws })
    // An unrelated key is not held up by it.
    const other = await workspaces.prepare({ repo, commit: c1, key: 'other', mode: 'incremental' })
    await other.release()
    events.push('releasing first')
    await first.release()
    const ws = await second
    expect(events).toEqual(['releasing first', 'second ready'])
    expect(ws).toMatchObject({ dir: first.dir, warm: true })
    await ws.release()
  })

  it('clean: a fresh checkout every time, gone after release', async () => {
    const root = await dirs.make('ws')
    const workspaces = createWorkspaces({ root, mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    const a = await workspaces.prepare({ repo, commit: c1, key: 'build', mode: 'clean' })
    await writeFile(join(a.dir, 'a.o'), 'leftover')
    const b = await workspaces.prepare({ repo, commit: c1, key: 'build', mode: 'clean' })
    expect(b.dir).not.toBe(a.dir)
    expect(b.warm).toBe(false)
    expect((await readdir(b.dir)).sort()).toEqual(['.git', 'Makefile', 'a.c', 'b.c'])
    await a.release()
    await b.release()
    await a.release()
    expect(await gone(a.dir)).toBe(true)
    expect(await gone(b.dir)).toBe(true)
    const list = (await runGit(['--git-dir', mirrors.pathOf(repo), 'worktree', 'list', '--porcelain'])).stdout.toString()
    expect(list).not.toContain(a.dir)
    expect(list).not.toContain(b.dir)
    expect(await workspaces.warmWorkspaces()).toEqual([])
  })

  it('jobs of one repo starting while others end all get their checkout, and incremental ones stay warm', async () => {
    const root = await dirs.make('ws')
    const workspaces = createWorkspaces({ root, mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    // Slots running short jobs back to back: every clean release prunes while others add or move.
    const slot = async (mode: 'clean' | 'incremental', key: string): Promise<number> => {
      let done = 0
      for (let round = 0; round < 25; round++) {
        const commit = round % 2 === 0 ? c1 : c2
        const ws = await workspaces.prepare({ repo, commit, key, mode })
        expect(ws.warm).toBe(mode === 'incremental' && round > 0)
        expect(await readFile(join(ws.dir, 'a.c'), 'utf8')).toContain(commit === c1 ? 'return 1' : 'return 2')
        await ws.release()
        done++
      }
      return done
    }
    const modes = [...Array<'clean'>(6).fill('clean'), 'incremental', 'incremental'] as const
    // Settled, so a slot that failed leaves none of the others running into the next test.
    const slots = await Promise.allSettled(modes.map(async (mode, i) => await slot(mode, `job-${i}`)))
    expect(slots.map((s) => s.status === 'fulfilled' ? s.value : String(s.reason))).toEqual(Array(8).fill(25))
    const list = (await runGit(['--git-dir', mirrors.pathOf(repo), 'worktree', 'list', '--porcelain'])).stdout.toString()
    expect(list).not.toContain(join(root, 'clean'))
    expect(list.match(new RegExp(join(root, 'inc'), 'g'))).toHaveLength(2)
  }, 60_000)

  it('budget: after a release the least recently used incremental worktrees go, never one in use', async () => {
    const probe = createWorkspaces({ root: await dirs.make('ws'), mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    const sample = await probe.prepare({ repo, commit: c1, key: 'probe', mode: 'incremental' })
    const one = await dirBytes(sample.dir)
    await sample.release()
    // Room for two worktrees, not three.
    const workspaces = createWorkspaces({ root: await dirs.make('ws'), mirrors, budgetBytes: Math.floor(one * 2.5), logger: silentLogger })
    const held = await workspaces.prepare({ repo, commit: c1, key: 'held', mode: 'incremental' })
    const older = await workspaces.prepare({ repo, commit: c1, key: 'older', mode: 'incremental' })
    await older.release()
    const newer = await workspaces.prepare({ repo, commit: c1, key: 'newer', mode: 'incremental' })
    await newer.release()
    // `held` was used first but is in use; `older` is the least recently used one that is not.
    expect(await gone(held.dir)).toBe(false)
    expect(await gone(older.dir)).toBe(true)
    expect(await gone(newer.dir)).toBe(false)
    await held.release()
    expect(await gone(held.dir)).toBe(false)
    const again = await workspaces.prepare({ repo, commit: c2, key: 'older', mode: 'incremental' })
    expect(again.warm).toBe(false)
    await again.release()
    // Three worktrees again: `newer` was released before `held`, so it is the least recently used.
    expect(await gone(newer.dir)).toBe(true)
    expect(await gone(held.dir)).toBe(false)
  })

  it('reports the workspace key of each incremental worktree it holds, most recently used first, and none for clean ones', async () => {
    const root = await dirs.make('ws')
    const workspaces = createWorkspaces({ root, mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    for (const [key, mode] of [['lint', 'incremental'], ['test (node=22)', 'incremental'], ['package', 'clean']] as const) {
      const ws = await workspaces.prepare({ repo, commit: c1, key, mode })
      await ws.release()
    }
    const lint = workspaceKey(repo, 'lint')
    const test = workspaceKey(repo, 'test (node=22)')
    expect(await workspaces.warmWorkspaces()).toEqual([test, lint])
    const again = await workspaces.prepare({ repo, commit: c2, key: 'lint', mode: 'incremental' })
    expect(again.warm).toBe(true)
    await again.release()
    expect(await workspaces.warmWorkspaces()).toEqual([lint, test])
    // After a restart the worktrees on disk are still reported, each under its own key.
    const restarted = createWorkspaces({ root, mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    expect((await restarted.warmWorkspaces()).sort()).toEqual([lint, test].sort())
    // What a heartbeat carries is exactly this list.
    const keys = await workspaces.warmWorkspaces()
    expect(PresenceInfo.shape.warmWorkspaces.parse(keys)).toEqual(keys)
    expect(keys).not.toContain(workspaceKey(repo, 'package'))
  })
})
