import { afterAll, describe, expect, it } from 'vitest'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { silentLogger } from '@devq/core'
import { runGit } from '../../src/git/exec.ts'
import { fetchSource } from '../../src/git/fetch.ts'
import { createMirrors } from '../../src/git/mirrors.ts'
import { MAX_MIRROR_PACKS } from '../../src/git/limits.ts'
import { commitAll, developerRepo, git, sourcePeer, tempDirs, writeFiles } from './fixtures.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

describe('the runner mirrors', () => {
  it('creates one bare mirror per repo id, idempotently, even when asked at once', async () => {
    const mirrors = createMirrors({ root: await dirs.make('mirrors') })
    const id = 'a'.repeat(64)
    const made = await Promise.all([mirrors.ensure(id), mirrors.ensure(id), mirrors.ensure(id)])
    expect(new Set(made)).toEqual(new Set([join(mirrors.root, `${id}.git`)]))
    expect(await readdir(mirrors.root)).toEqual([`${id}.git`])
    expect(await git(made[0]!, 'rev-parse', '--is-bare-repository')).toBe('true')
    expect(await git(made[0]!, 'config', 'gc.auto')).toBe('0')
    expect(await mirrors.tips(id)).toEqual([])
    expect(await mirrors.has(id, 'b'.repeat(40))).toBe(false)
  })

  it('refuses ids that are not hex before they reach a path', async () => {
    const mirrors = createMirrors({ root: await dirs.make('mirrors') })
    for (const bad of ['../../etc', 'A'.repeat(64), 'a'.repeat(63), '']) {
      await expect(mirrors.ensure(bad)).rejects.toMatchObject({ name: 'WorkspaceError' })
    }
    await expect(mirrors.pin('a'.repeat(64), 'HEAD')).rejects.toMatchObject({ name: 'WorkspaceError' })
  })

  it('pins idempotently, lists tips newest first up to a cap, and combines packs when there are many', async () => {
    const dev = await developerRepo(await dirs.make('dev'), 3)
    const commits = [dev.first]
    for (let i = 0; i < MAX_MIRROR_PACKS + 2; i++) {
      await writeFiles(dev.dir, { 'src/counter.txt': `${i}\n` })
      commits.push(await commitAll(dev.dir, `change ${i}`))
    }
    const mirrors = createMirrors({ root: await dirs.make('mirrors') })
    const server = await sourcePeer([dev.gitdir], new Set(commits))
    try {
      for (const commit of commits) await fetchSource({ mirrors, dial: server.dial, logger: silentLogger }, { repo: dev.repoId, commit, peers: ['dev'] })
    } finally {
      await server.close()
    }
    await mirrors.pin(dev.repoId, commits[3]!)
    await mirrors.pin(dev.repoId, commits[3]!)
    expect(await mirrors.tips(dev.repoId, 3)).toEqual(commits.slice(-3).reverse())
    expect(await mirrors.tips(dev.repoId, 100)).toHaveLength(commits.length)
    const packs = (await readdir(join(mirrors.pathOf(dev.repoId), 'objects', 'pack'))).filter((n) => n.endsWith('.pack'))
    expect(packs.length).toBeLessThanOrEqual(MAX_MIRROR_PACKS)
    for (const commit of commits) expect(await mirrors.has(dev.repoId, commit)).toBe(true)
    await runGit(['--git-dir', mirrors.pathOf(dev.repoId), 'fsck', '--strict', '--no-dangling'])
  })
})
