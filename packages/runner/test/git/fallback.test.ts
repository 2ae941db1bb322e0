import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendFile, chmod, lstat, readdir, readFile, readlink, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { silentLogger } from '@devq/core'
import { hasGitBinary, runGit } from '../../src/git/exec.ts'
import { fetchSource } from '../../src/git/fetch.ts'
import { createMirrors } from '../../src/git/mirrors.ts'
import { createWorkspaces } from '../../src/git/workspaces.ts'
import { commitAll, developerRepo, fullPackBytes, git, sourcePeer, tempDirs, writeFiles } from './fixtures.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

// A peer without git runs isomorphic-git: the server sends whole objects (no deltas against what
// the runner has, so more bytes), and the runner indexes a full pack and checks the commit and
// its trees object by object. These tests take git away for real: PATH is an empty directory.
describe('source and checkout without a git binary', () => {
  let dev: Awaited<ReturnType<typeof developerRepo>>
  let second: string
  let noGit: string
  beforeAll(async () => {
    dev = await developerRepo(await dirs.make('dev'))
    await writeFiles(dev.dir, { 'run.sh': '#!/bin/sh\necho run\n' })
    await chmod(join(dev.dir, 'run.sh'), 0o755)
    await symlink('src/file1.txt', join(dev.dir, 'link'))
    await appendFile(join(dev.dir, 'src/file3.txt'), 'one more line\n')
    second = await commitAll(dev.dir, 'second')
    noGit = await dirs.make('nogit')
  })

  it('really has no git on the empty PATH', async () => {
    expect(await hasGitBinary(noGit)).toBe(false)
    await expect(runGit(['--version'], { gitPath: noGit })).rejects.toMatchObject({ name: 'GitCommandError', data: { detail: 'git was not found on PATH' } })
  })

  /** Fetches both commits, checks the second out clean, and compares every file with git's view. */
  async function roundTrip (serverGitPath: string | undefined, runnerGitPath: string | undefined): Promise<{ bytes: number[] }> {
    const server = await sourcePeer([dev.gitdir], new Set([dev.first, second]), { gitPath: serverGitPath })
    const mirrors = createMirrors({ root: await dirs.make('mirrors'), gitPath: runnerGitPath })
    const components = { mirrors, dial: server.dial, logger: silentLogger }
    const bytes: number[] = []
    try {
      for (const commit of [dev.first, second]) bytes.push((await fetchSource(components, { repo: dev.repoId, commit, peers: ['dev'] })).bytes)
    } finally {
      await server.close()
    }
    expect(await mirrors.has(dev.repoId, second)).toBe(true)
    // The first commit was offered as a have, so the second transfer left out what it shares.
    expect(await mirrors.tips(dev.repoId)).toEqual([second, dev.first])
    expect(bytes[1]).toBeLessThan(await fullPackBytes(dev.gitdir, second) / 4)
    // Whatever wrote the mirror, real git must find it complete and sound.
    await runGit(['--git-dir', mirrors.pathOf(dev.repoId), 'fsck', '--strict', '--no-dangling'])
    const workspaces = createWorkspaces({ root: await dirs.make('ws'), mirrors, budgetBytes: 1 << 30, logger: silentLogger })
    const ws = await workspaces.prepare({ repo: dev.repoId, commit: second, key: 'build', mode: 'clean' })
    const files = (await git(dev.dir, 'ls-tree', '-r', '--name-only', second)).split('\n')
    expect(files.length).toBeGreaterThan(20)
    for (const path of files) {
      if (path === 'link') continue
      const committed = (await runGit(['show', `${second}:${path}`], { cwd: dev.dir })).stdout
      expect((await readFile(join(ws.dir, path))).equals(committed), path).toBe(true)
    }
    expect(await readlink(join(ws.dir, 'link'))).toBe('src/file1.txt')
    expect((await lstat(join(ws.dir, 'run.sh'))).mode & 0o111).not.toBe(0)
    await ws.release()
    await expect(lstat(ws.dir)).rejects.toMatchObject({ code: 'ENOENT' })
    if (runnerGitPath === noGit) {
      // Without git an incremental workspace is a clean export every time, never warm.
      for (let i = 0; i < 2; i++) {
        const inc = await workspaces.prepare({ repo: dev.repoId, commit: second, key: 'build', mode: 'incremental' })
        expect(inc.warm).toBe(false)
        expect(await readlink(join(inc.dir, 'link'))).toBe('src/file1.txt')
        await inc.release()
        await expect(lstat(inc.dir)).rejects.toMatchObject({ code: 'ENOENT' })
      }
      expect(await workspaces.warmWorkspaces()).toEqual([])
    }
    return { bytes }
  }

  let thinBytes: number
  it('both sides with git: the second commit travels as a thin pack', async () => {
    thinBytes = (await roundTrip(undefined, undefined)).bytes[1]!
  })

  it('runner without git, server with git: asks for a pack that is not thin, indexes and checks it out', async () => {
    const full = (await roundTrip(undefined, noGit)).bytes[1]!
    expect(full).toBeGreaterThan(thinBytes)
  })

  it('runner with git, server without git: whole objects arrive and index-pack takes them', async () => {
    const whole = (await roundTrip(noGit, undefined)).bytes[1]!
    process.stdout.write(`git source: commit 2 from a server with git ${thinBytes} bytes, without git ${whole} bytes\n`)
    expect(whole).toBeGreaterThan(thinBytes)
  })

  it('neither side has git', async () => {
    await roundTrip(noGit, noGit)
  })

  it('refuses a commit whose tree would write outside the workspace or plant a .git, with or without git', async () => {
    const blob = await git(dev.dir, 'rev-parse', `${dev.first}:src/file1.txt`)
    for (const name of ['..', '.Git']) {
      const entry = Buffer.concat([Buffer.from(`100644 ${name}\0`), Buffer.from(blob, 'hex')])
      const tree = (await runGit(['hash-object', '-t', 'tree', '-w', '--literally', '--stdin'], { cwd: dev.dir, input: entry })).stdout.toString().trim()
      const evil = await git(dev.dir, 'commit-tree', tree, '-p', second, '-m', 'evil')
      const server = await sourcePeer([dev.gitdir], new Set([evil]))
      try {
        // With git, index-pack --strict refuses the tree on arrival.
        const strict = createMirrors({ root: await dirs.make('mirrors') })
        const refused = await fetchSource({ mirrors: strict, dial: server.dial, logger: silentLogger }, { repo: dev.repoId, commit: evil, peers: ['dev'] }).catch((e: unknown) => e)
        expect(refused).toMatchObject({ name: 'SourceError', data: { reason: 'corrupt_pack' } })
        // Without git, the isomorphic check of the arriving trees refuses them just the same.
        const mirrors = createMirrors({ root: await dirs.make('mirrors'), gitPath: noGit })
        const taken = await fetchSource({ mirrors, dial: server.dial, logger: silentLogger }, { repo: dev.repoId, commit: evil, peers: ['dev'] }).catch((e: unknown) => e)
        expect(taken).toMatchObject({ name: 'SourceError', data: { reason: 'corrupt_pack' } })
        expect((taken as Error).message).toContain('unsafe')
        expect(await mirrors.has(dev.repoId, evil)).toBe(false)
        // Had such a commit reached the mirror some other way, the checkout would still refuse it.
        const pack = (await runGit(['--git-dir', dev.gitdir, 'pack-objects', '--revs', '--stdout', '-q'], { input: `${evil}\n` })).stdout
        await runGit(['--git-dir', mirrors.pathOf(dev.repoId), 'index-pack', '--stdin'], { input: pack })
        const root = await dirs.make('ws')
        const workspaces = createWorkspaces({ root, mirrors, budgetBytes: 1 << 30, logger: silentLogger })
        const err = await workspaces.prepare({ repo: dev.repoId, commit: evil, key: 'build', mode: 'clean' }).catch((e: unknown) => e)
        expect(err).toMatchObject({ name: 'WorkspaceError' })
        expect((err as Error).message).toContain('unsafe')
        expect(await readdir(join(root, 'clean'))).toEqual([])
      } finally {
        await server.close()
      }
    }
  })
})
