import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { execa } from 'execa'
import { removeDir, tempDataDir } from './harness.ts'
import { commitAll, git } from './fixtures/c-project.ts'
import { BEGIN_MARK, END_MARK } from '../src/hooks/blocks.ts'
import { validJson } from './cli-run.ts'

const CLI = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))
const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(removeDir)) })

async function tempDir (name: string): Promise<string> {
  const dir = await tempDataDir(name)
  dirs.push(dir)
  return dir
}

/** Runs devq; resolves with its exit code and output whatever the code. */
async function devq (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const res = await execa(process.execPath, [CLI, ...args], { reject: false })
  return { code: res.exitCode ?? -1, stdout: String(res.stdout), stderr: String(res.stderr) }
}

async function newRepo (files: Record<string, string> = { 'README.md': 'hi\n' }): Promise<string> {
  const dir = await tempDir('hookrepo')
  for (const [f, text] of Object.entries(files)) {
    await mkdir(join(dir, f, '..'), { recursive: true })
    await writeFile(join(dir, f), text)
  }
  await git(dir, ['init', '-q', '-b', 'main'])
  await commitAll(dir, 'first')
  return dir
}

interface Installed { action: string, repo: string, hooksDir: string, hooks: { hook: string, path: string, change: string }[], warnings: string[] }

describe('devq hook install and uninstall', () => {
  it('adds one block to a foreign hook under core.hooksPath (found from a subdirectory), keeps it executable, and uninstall gives it back byte for byte', async () => {
    const repo = await newRepo({ 'sub/file.txt': 'x\n' })
    const data = await tempDir('data')
    await git(repo, ['config', 'core.hooksPath', '.githooks'])
    const own = '#!/bin/bash\n# the team\'s own hook\necho "$(git rev-parse HEAD)" >> marker\n'
    await mkdir(join(repo, '.githooks'))
    await writeFile(join(repo, '.githooks', 'post-commit'), own, { mode: 0o750 })
    const args = ['hook', 'install', '--repo', join(repo, 'sub'), '--data-dir', data, '--json']
    const first = validJson<Installed>('hookInstall', (await devq(args)).stdout)
    expect(first).toMatchObject({ action: 'installed', repo, hooksDir: join(repo, '.githooks') })
    expect(first.hooks.map((h) => [h.hook, h.change])).toEqual([['post-commit', 'added'], ['post-rewrite', 'created']])
    const hooked = await readFile(join(repo, '.githooks', 'post-commit'), 'utf8')
    expect(hooked.startsWith(own)).toBe(true)
    expect(hooked).toContain(`devq_node='${process.execPath}'`)
    expect(hooked).toContain(`devq_data='${data}'`)
    expect((await stat(join(repo, '.githooks', 'post-commit'))).mode & 0o777).toBe(0o750)
    expect((await readFile(join(repo, '.githooks', 'post-rewrite'), 'utf8')).startsWith(`#!/bin/sh\n${BEGIN_MARK}\n`)).toBe(true)
    expect((await stat(join(repo, '.githooks', 'post-rewrite'))).mode & 0o111).not.toBe(0)

    const second = validJson<Installed>('hookInstall', (await devq(args)).stdout)
    expect(second.hooks.map((h) => h.change)).toEqual(['unchanged', 'unchanged'])
    expect((await readFile(join(repo, '.githooks', 'post-commit'), 'utf8')).split(BEGIN_MARK)).toHaveLength(2)

    const removed = validJson<Installed>('hookUninstall', (await devq(['hook', 'uninstall', '--repo', repo, '--json'])).stdout)
    expect(removed.hooks.map((h) => [h.hook, h.change])).toEqual([['post-commit', 'removed'], ['post-rewrite', 'deleted'], ['post-receive', 'absent']])
    expect(await readFile(join(repo, '.githooks', 'post-commit'), 'utf8')).toBe(own)
    expect((await stat(join(repo, '.githooks', 'post-commit'))).mode & 0o777).toBe(0o750)
    await expect(stat(join(repo, '.githooks', 'post-rewrite'))).rejects.toThrow(/ENOENT/)
  })

  it('keeps, and names on stderr, lines someone added inside DevQ\'s block when it uninstalls', async () => {
    const repo = await newRepo()
    const hook = join(repo, '.git', 'hooks', 'post-commit')
    const own = '#!/bin/sh\necho mine\n'
    await writeFile(hook, own, { mode: 0o755 })
    await devq(['hook', 'install', '--repo', repo, '--data-dir', await tempDir('data')])
    const installed = await readFile(hook, 'utf8')
    await writeFile(hook, installed.replace(`${END_MARK}\n`, `./scripts/notify-team\n${END_MARK}\n`))
    const res = await devq(['hook', 'uninstall', '--repo', repo, '--json'])
    expect(res.code, res.stderr).toBe(0)
    expect(await readFile(hook, 'utf8')).toBe(`${own}./scripts/notify-team\n`)
    expect(res.stderr).toBe(`devq: ${hook}: DevQ's block held 1 line(s) DevQ did not write; they stay in the hook where the block was (check they still make sense without DevQ's lines):\ndevq:   ./scripts/notify-team`)
    expect((JSON.parse(res.stdout) as { hooks: unknown[] }).hooks).toContainEqual({ hook: 'post-commit', path: hook, change: 'removed', kept: ['./scripts/notify-team'] })
  })

  it('refuses, changing nothing, a hook that is not a shell script or that git does not run', async () => {
    const repo = await newRepo()
    const hooks = join(repo, '.git', 'hooks')
    const python = '#!/usr/bin/env python3\nprint("mine")\n'
    await writeFile(join(hooks, 'post-rewrite'), python, { mode: 0o755 })
    const refused = await devq(['hook', 'install', '--repo', repo, '--data-dir', await tempDir('data')])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/post-rewrite: it is a python3 script .*DevQ adds its lines only to shell scripts, so nothing was changed/)
    expect(await readFile(join(hooks, 'post-rewrite'), 'utf8')).toBe(python)
    await expect(stat(join(hooks, 'post-commit'))).rejects.toThrow(/ENOENT/)

    await writeFile(join(hooks, 'post-rewrite'), '#!/bin/sh\necho inactive\n')
    await chmod(join(hooks, 'post-rewrite'), 0o644)
    const inactive = await devq(['hook', 'install', '--repo', repo, '--data-dir', await tempDir('data')])
    expect(inactive.code).toBe(2)
    expect(inactive.stderr).toMatch(/is not executable, so git does not run it/)
    await expect(stat(join(hooks, 'post-commit'))).rejects.toThrow(/ENOENT/)
  })

  it('gives advice instead of a hook where husky or lefthook owns the hooks', async () => {
    const husky = await newRepo({ '.husky/pre-commit': 'npm test\n' })
    await git(husky, ['config', 'core.hooksPath', '.husky/_'])
    const res = await devq(['hook', 'install', '--repo', husky, '--data-dir', await tempDir('data'), '--json'])
    expect(res.code).toBe(0)
    const advice = validJson<{ action: string, manager: string, tracked: string[], advice: { file: string, text: string }[] }>('hookInstall', res.stdout)
    expect(advice).toMatchObject({ action: 'advice', manager: 'husky', tracked: ['.husky/pre-commit'] })
    expect(advice.advice.map((a) => a.file)).toEqual(['.husky/post-commit', '.husky/post-rewrite'])
    expect(advice.advice[0]!.text.startsWith(`${BEGIN_MARK}\n`)).toBe(true)
    await expect(stat(join(husky, '.husky', '_', 'post-commit'))).rejects.toThrow(/ENOENT/)
    await expect(stat(join(husky, '.git', 'hooks', 'post-commit'))).rejects.toThrow(/ENOENT/)
    expect((await devq(['hook', 'install', '--repo', husky, '--data-dir', await tempDir('data')])).stdout).toMatch(/husky manages this repository's hooks/)

    const lefthook = await newRepo({ 'lefthook.yml': 'pre-commit:\n  commands: {}\n' })
    const lh = validJson<typeof advice>('hookInstall', (await devq(['hook', 'install', '--repo', lefthook, '--data-dir', await tempDir('data'), '--json'])).stdout)
    expect(lh).toMatchObject({ action: 'advice', manager: 'lefthook', advice: [{ file: 'lefthook-local.yml' }] })
    expect(lh.advice[0]!.text).toMatch(/^post-commit:\n {2}commands:\n {4}devq:\n {6}run: \|\n {8}# >>> devq >>>/)
    expect(lh.advice[0]!.text).toContain('        set -- {1}\n')
  })

  it('finds the shared hooks of a linked worktree and the hooks of a bare repository', async () => {
    const repo = await newRepo()
    const linked = join(await tempDir('linked'), 'wt')
    await git(repo, ['worktree', 'add', '-q', linked])
    const data = await tempDir('data')
    const wt = validJson<Installed>('hookInstall', (await devq(['hook', 'install', '--repo', linked, '--data-dir', data, '--json'])).stdout)
    expect(wt.hooksDir).toBe(join(repo, '.git', 'hooks'))
    const bare = join(await tempDir('bare'), 'server.git')
    await execa('git', ['init', '-q', '--bare', bare])
    const server = validJson<Installed>('hookInstall', (await devq(['hook', 'install', '--server', '--repo', bare, '--data-dir', data, '--json'])).stdout)
    expect(server).toMatchObject({ repo: bare, hooksDir: join(bare, 'hooks'), hooks: [{ hook: 'post-receive', change: 'created' }] })
    const notRepo = await devq(['hook', 'install', '--repo', data, '--data-dir', data])
    expect(notRepo.code).toBe(2)
    expect(notRepo.stderr).toMatch(/is not in a git repository/)
  })

  it('says a repository path that is not UTF-8 is why it cannot install, instead of an empty reason', async () => {
    const base = await tempDir('latin1')
    // A Latin-1 byte (0xe9, é) in a directory name: only a shell can cd there, JavaScript cannot spell it.
    const script = 'd="$1/$(printf \'lat\\351\')/repo" && mkdir -p "$d" && cd "$d" && git init -q && exec "$2" "$3" hook install --data-dir "$1"'
    const res = await execa('sh', ['-c', script, 'sh', base, process.execPath, CLI], { reject: false })
    expect(res.exitCode).toBe(2)
    expect(res.stderr).toBe(`devq: ${base}/lat\uFFFD/repo: the path is not valid UTF-8, so devq cannot name it to git; rename the directory (or reach it through a symlink whose path is UTF-8) and run again`)
  })
})
