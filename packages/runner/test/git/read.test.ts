import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { findRepo, listTopLevel, readFileAtCommit, repoIdOf, resolveCommit } from '../../src/git/read.ts'
import { rootCommits } from '../../src/git/roots.ts'
import { runGit } from '../../src/git/exec.ts'
import { commitAll, git, tempDirs, writeFiles } from './fixtures.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

describe('reading a repository in process', () => {
  let dev: string
  let first: string
  let second: string
  beforeAll(async () => {
    dev = await dirs.make('dev')
    await git(dev, 'init', '-q', '-b', 'main')
    await writeFiles(dev, { '.devq.yml': 'jobs: {}\n', Makefile: 'all:\n', 'src/main.c': 'int main(void) { return 0; }\n' })
    first = await commitAll(dev, 'first')
    await writeFiles(dev, { '.devq.yml': 'jobs: { build: {} }\n' })
    second = await commitAll(dev, 'second')
    await git(dev, 'tag', '-a', '-m', 'release', 'v1', first)
  })

  it('gives every clone of a project the same repo id, and a different project another', async () => {
    const clone = await dirs.make('clone')
    await git(clone, 'clone', '-q', dev, '.')
    await writeFiles(clone, { 'more.txt': 'more\n' })
    const ahead = await commitAll(clone, 'ahead')
    const ids = await Promise.all([[dev, second], [clone, ahead]].map(async ([dir, c]) => repoIdOf(await rootCommits(await findRepo(dir!), c!))))
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/)
    expect(ids[1]).toBe(ids[0])
    expect(await rootCommits(await findRepo(dev), second)).toEqual([first])
    const other = await dirs.make('other')
    await git(other, 'init', '-q', '-b', 'main')
    await writeFiles(other, { 'x.txt': 'x\n' })
    const otherRoot = await commitAll(other, 'x')
    expect(repoIdOf([otherRoot])).not.toBe(ids[0])
  })

  it('finds every root of a history with unrelated merges', async () => {
    const clone = await dirs.make('merge')
    await git(clone, 'clone', '-q', dev, '.')
    await git(clone, 'checkout', '-q', '--orphan', 'unrelated')
    await git(clone, 'rm', '-rqf', '.')
    await writeFiles(clone, { 'other.txt': 'other\n' })
    const otherRoot = await commitAll(clone, 'other root')
    await git(clone, 'checkout', '-q', 'main')
    await git(clone, 'merge', '-q', '--allow-unrelated-histories', '-m', 'merge', 'unrelated')
    const head = await git(clone, 'rev-parse', 'HEAD')
    expect(await rootCommits(await findRepo(clone), head)).toEqual([first, otherRoot].sort())
  })

  it('finds the roots of a long history with an unrelated merge deep in it, and follows a shallow clone as it deepens', async () => {
    const long = await dirs.make('long')
    await git(long, 'init', '-q', '-b', 'main')
    // 300 commits on main, with an unrelated history merged in at the 100th.
    const lines: string[] = ['commit refs/heads/side', 'mark :9999', 'committer D <d@example.test> 1600000000 +0000', 'data 5', 'side', 'M 100644 inline side.txt', 'data 5', 'side', '']
    for (let i = 1; i <= 300; i++) {
      lines.push('commit refs/heads/main', `mark :${i}`, `committer D <d@example.test> ${1600000000 + i} +0000`, `data ${String(i).length}`, String(i))
      if (i > 1) lines.push(`from :${i - 1}`)
      if (i === 100) lines.push('merge :9999')
      lines.push(`M 100644 inline f${i % 7}.txt`, `data ${String(i).length + 1}`, `${i}`, '')
    }
    await runGit(['fast-import', '--quiet'], { cwd: long, input: lines.join('\n') + '\n' })
    const repo = await findRepo(long)
    const head = (await resolveCommit(repo, 'main')).commit
    const byGit = (await git(long, 'rev-list', '--max-parents=0', 'main')).split('\n').sort()
    expect(byGit).toHaveLength(2)
    expect(await rootCommits(repo, head)).toEqual(byGit)
    await git(long, 'checkout', '-q', 'main')
    await writeFiles(long, { 'next.txt': 'next\n' })
    expect(await rootCommits(repo, await commitAll(long, 'next'))).toEqual(byGit)
    const shallow = await dirs.make('shallow')
    await git(shallow, 'clone', '-q', '--depth', '3', `file://${long}`, '.')
    const shallowRepo = await findRepo(shallow)
    const tip = (await resolveCommit(shallowRepo)).commit
    const boundary = (await git(shallow, 'rev-list', '--max-parents=0', 'HEAD')).split('\n')
    expect(await rootCommits(shallowRepo, tip)).toEqual(boundary)
    await git(shallow, 'fetch', '-q', '--unshallow')
    expect(await rootCommits(shallowRepo, tip)).toEqual(byGit)
  })

  it('gives a long history with a replace ref or a graft the same roots as a short one and as a clone, which has neither', async () => {
    const grafted = await dirs.make('grafted')
    await git(grafted, 'init', '-q', '-b', 'main')
    const lines: string[] = []
    for (let i = 1; i <= 100; i++) {
      lines.push('commit refs/heads/main', `mark :${i}`, `committer D <d@example.test> ${1600000000 + i} +0000`, `data ${String(i).length}`, String(i))
      if (i > 1) lines.push(`from :${i - 1}`)
      lines.push(`M 100644 inline f${i % 5}.txt`, `data ${String(i).length + 1}`, `${i}`, '')
    }
    await runGit(['fast-import', '--quiet'], { cwd: grafted, input: lines.join('\n') + '\n' })
    const root = (await git(grafted, 'rev-list', '--max-parents=0', 'main')).trim()
    const clone = await dirs.make('grafted-clone')
    await git(clone, 'clone', '-q', '--no-local', grafted, '.')
    const head = (await git(grafted, 'rev-parse', 'main')).trim()
    const old = (await git(grafted, 'rev-parse', 'main~90')).trim()
    // The developer cuts the history short locally: a replace ref, then (in another repository) a graft file.
    await git(grafted, 'replace', '--graft', 'main~40')
    const repo = await findRepo(grafted)
    expect(await rootCommits(repo, head)).toEqual([root])
    expect(await rootCommits(repo, old)).toEqual([root])
    expect(await rootCommits(await findRepo(clone), head)).toEqual([root])
    const byFile = await dirs.make('graft-file')
    await git(byFile, 'clone', '-q', '--no-local', clone, '.')
    await writeFile(join(byFile, '.git/info/grafts'), `${(await git(byFile, 'rev-parse', 'HEAD~30')).trim()}\n`)
    expect(await rootCommits(await findRepo(byFile), head)).toEqual([root])
  })

  it('resolves HEAD on a branch to its full ref, a detached HEAD to no ref, and names, tags and short shas', async () => {
    const repo = await findRepo(join(dev, 'src'))
    expect(repo).toMatchObject({ dir: dev, gitdir: join(dev, '.git'), bare: false })
    expect(await resolveCommit(repo)).toMatchObject({ commit: second, ref: 'refs/heads/main' })
    expect(await resolveCommit(repo, 'v1')).toMatchObject({ commit: first, ref: 'v1' })
    expect(await resolveCommit(repo, first.slice(0, 8))).toMatchObject({ commit: first })
    expect((await resolveCommit(repo, second)).tree).toBe(await git(dev, 'rev-parse', `${second}^{tree}`))
    const detached = await dirs.make('detached')
    await git(detached, 'clone', '-q', dev, '.')
    await git(detached, 'checkout', '-q', '--detach', first)
    expect(await resolveCommit(await findRepo(detached))).toEqual({ commit: first, tree: await git(dev, 'rev-parse', `${first}^{tree}`), ref: '' })
    await expect(resolveCommit(repo, 'no-such-branch')).rejects.toMatchObject({ name: 'GitReadError', data: { reason: 'no_commit' } })
    await expect(resolveCommit(repo, (await resolveCommit(repo)).tree)).rejects.toMatchObject({ name: 'GitReadError', data: { reason: 'no_commit' } })
  })

  it('works in a linked worktree (a .git file) and in a bare repository', async () => {
    const wt = join(await dirs.make('wt'), 'feature')
    await git(dev, 'worktree', 'add', '-q', '-b', 'feature', wt, first)
    const repo = await findRepo(wt)
    expect(repo).toMatchObject({ dir: wt, gitdir: join(dev, '.git') })
    expect(await resolveCommit(repo)).toMatchObject({ commit: first, ref: 'refs/heads/feature' })
    expect(await readFileAtCommit(repo, second, '.devq.yml', 1000)).toBe('jobs: { build: {} }\n')
    await git(dev, 'worktree', 'remove', wt)
    const bare = join(await dirs.make('bare'), 'mirror.git')
    await git(dev, 'clone', '-q', '--bare', dev, bare)
    const mirror = await findRepo(bare)
    expect(mirror).toMatchObject({ dir: bare, gitdir: bare, bare: true })
    expect(await resolveCommit(mirror, 'main')).toMatchObject({ commit: second })
  })

  it('reads the committed file, never the working tree, and caps its size', async () => {
    await writeFile(join(dev, '.devq.yml'), 'edited but not committed\n')
    const repo = await findRepo(dev)
    expect(await readFileAtCommit(repo, second, '.devq.yml', 1000)).toBe('jobs: { build: {} }\n')
    expect(await readFileAtCommit(repo, first, '.devq.yml', 1000)).toBe('jobs: {}\n')
    expect(await readFileAtCommit(repo, second, 'src/main.c', 1000)).toContain('int main')
    expect(await readFileAtCommit(repo, second, 'missing.yml', 1000)).toBeUndefined()
    expect(await readFileAtCommit(repo, second, 'src', 1000)).toBeUndefined()
    expect(await readFileAtCommit(repo, second, '../etc/passwd', 1000)).toBeUndefined()
    await expect(readFileAtCommit(repo, second, '.devq.yml', 5)).rejects.toMatchObject({ name: 'GitReadError', data: { reason: 'unreadable' } })
    await expect(readFileAtCommit(repo, 'e'.repeat(40), '.devq.yml', 1000)).rejects.toMatchObject({ name: 'GitReadError', data: { reason: 'no_commit' } })
    expect(await listTopLevel(repo, second)).toEqual(['.devq.yml', 'Makefile', 'src'])
  })

  it('says clearly when a directory is not in a repository', async () => {
    const plain = join(await dirs.make('plain'), 'a', 'b')
    await mkdir(plain, { recursive: true })
    await expect(findRepo(plain)).rejects.toMatchObject({ name: 'GitReadError', data: { reason: 'not_a_repository' } })
  })

  it('derives the repo id from the set of roots, whatever their order', () => {
    const sha = fc.stringMatching(/^[0-9a-f]{40}$/)
    const rootsAndShuffle = fc.uniqueArray(sha, { minLength: 1, maxLength: 6 })
      .chain((roots) => fc.tuple(fc.constant(roots), fc.shuffledSubarray(roots, { minLength: roots.length, maxLength: roots.length })))
    fc.assert(fc.property(rootsAndShuffle, ([roots, shuffled]) => {
      expect(repoIdOf(shuffled)).toBe(repoIdOf(roots))
      expect(repoIdOf(roots.slice(1))).not.toBe(repoIdOf(roots))
    }))
  })
})
