import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { silentLogger } from '@devq/core'
import { runGit } from '../../src/git/exec.ts'
import { fetchSource } from '../../src/git/fetch.ts'
import { createMirrors } from '../../src/git/mirrors.ts'
import { createSourceServer } from '../../src/git/serve.ts'
import { FrameReader, writeFrame } from '../../src/wire.ts'
import { streamServer } from '../streams.ts'
import { commitAll, developerRepo, fullPackBytes, git, gitProcesses, noise, snapshot, sourcePeer, tempDirs, writeFiles } from './fixtures.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

describe('source travels as a thin pack over one stream', () => {
  let dev: Awaited<ReturnType<typeof developerRepo>>
  let second: string
  let third: string
  beforeAll(async () => {
    dev = await developerRepo(await dirs.make('dev'))
    await appendFile(join(dev.dir, 'src/file3.txt'), 'one more line\n')
    second = await commitAll(dev.dir, 'second')
    await writeFiles(dev.dir, { 'src/file7.txt': noise('file7-rewritten', 2700) })
    third = await commitAll(dev.dir, 'third')
  })

  it('sends the first commit whole, then only the change, and never touches the developer repository', async () => {
    const before = await snapshot(dev.gitdir)
    const refsBefore = await git(dev.dir, 'for-each-ref')
    const server = await sourcePeer([dev.gitdir], new Set([dev.first, second, third]))
    const mirrors = createMirrors({ root: await dirs.make('mirrors') })
    const components = { mirrors, dial: server.dial, logger: silentLogger }
    try {
      const full = await fetchSource(components, { repo: dev.repoId, commit: dev.first, peers: ['dev'] })
      expect(full).toMatchObject({ alreadyHad: false, peer: 'dev' })
      expect(full.objects).toBeGreaterThan(20)
      const thin = await fetchSource(components, { repo: dev.repoId, commit: second, peers: ['dev'] })
      const whole = await fullPackBytes(dev.gitdir, second)
      // Printed so a regression in transfer size is visible in the test log.
      process.stdout.write(`git source: commit 2 thin pack ${thin.bytes} bytes, full pack ${whole} bytes\n`)
      expect(thin.bytes).toBeLessThan(whole / 4)
      expect(thin.objects).toBeLessThan(6)
      const gitdir = mirrors.pathOf(dev.repoId)
      await runGit(['--git-dir', gitdir, 'rev-list', '--objects', '--missing=error', '--quiet', second])
      expect(await mirrors.has(dev.repoId, second)).toBe(true)
      expect(await mirrors.tips(dev.repoId)).toEqual([second, dev.first])
      const again = await fetchSource(components, { repo: dev.repoId, commit: second, peers: ['nobody'] })
      expect(again).toMatchObject({ alreadyHad: true, bytes: 0 })
      expect(await snapshot(dev.gitdir)).toEqual(before)
      expect(await git(dev.dir, 'for-each-ref')).toBe(refsBefore)
    } finally {
      await server.close()
    }
  })

  it('an early fetch that asks only for a pin still ends complete when the mirror holds the commit unpinned', async () => {
    const server = await sourcePeer([dev.gitdir], new Set([dev.first, second, third]))
    const mirrors = createMirrors({ root: await dirs.make('mirrors-pins') })
    const components = { mirrors, dial: server.dial, logger: silentLogger }
    try {
      await fetchSource(components, { repo: dev.repoId, commit: third, peers: ['dev'] })
      // `second` came with `third` (its parent), but nothing pinned it.
      expect(await mirrors.has(dev.repoId, second)).toBe(true)
      expect(await mirrors.has(dev.repoId, second, { pinsOnly: true })).toBe(false)
      const early = await fetchSource(components, { repo: dev.repoId, commit: second, peers: ['dev'], pinsOnly: true })
      expect(early).toMatchObject({ alreadyHad: false, objects: 0 })
      expect(await mirrors.has(dev.repoId, second, { pinsOnly: true })).toBe(true)
      await runGit(['--git-dir', mirrors.pathOf(dev.repoId), 'fsck', '--strict', '--no-dangling'])
    } finally {
      await server.close()
    }
  })

  it('serves a commit after a have it packed against before has left the developer repository', async () => {
    const rewritten = await developerRepo(await dirs.make('rewritten'), 4)
    await appendFile(join(rewritten.dir, 'src/file1.txt'), 'to be dropped\n')
    const dropped = await commitAll(rewritten.dir, 'dropped')
    const announced = new Set([rewritten.first, dropped])
    const server = await sourcePeer([rewritten.gitdir], announced)
    const mirrors = createMirrors({ root: await dirs.make('mirrors-rewritten') })
    const components = { mirrors, dial: server.dial, logger: silentLogger }
    try {
      await fetchSource(components, { repo: rewritten.repoId, commit: rewritten.first, peers: ['dev'] })
      await fetchSource(components, { repo: rewritten.repoId, commit: dropped, peers: ['dev'] })
      // The developer drops the commit and collects it; the runner still names it among its haves.
      await git(rewritten.dir, 'reset', '-q', '--hard', rewritten.first)
      await git(rewritten.dir, 'reflog', 'expire', '--expire=now', '--all')
      await git(rewritten.dir, 'gc', '-q', '--prune=now')
      await expect(git(rewritten.dir, 'cat-file', '-t', dropped)).rejects.toThrow()
      await appendFile(join(rewritten.dir, 'src/file2.txt'), 'instead\n')
      const instead = await commitAll(rewritten.dir, 'instead')
      announced.add(instead)
      expect(await mirrors.tips(rewritten.repoId)).toContain(dropped)
      const got = await fetchSource(components, { repo: rewritten.repoId, commit: instead, peers: ['dev'] })
      expect(got).toMatchObject({ alreadyHad: false, peer: 'dev' })
      // Still a thin pack against the have the developer kept.
      expect(got.objects).toBeLessThan(6)
      await runGit(['--git-dir', mirrors.pathOf(rewritten.repoId), 'rev-list', '--objects', '--missing=error', '--quiet', instead])
    } finally {
      await server.close()
    }
  })

  it('refuses an unannounced commit and a commit nobody holds, naming the reason', async () => {
    const server = await sourcePeer([dev.gitdir], new Set([dev.first]))
    const components = { mirrors: createMirrors({ root: await dirs.make('mirrors') }), dial: server.dial, logger: silentLogger }
    try {
      const unannounced = await fetchSource(components, { repo: dev.repoId, commit: second, peers: ['dev'] }).catch((e: unknown) => e)
      expect(unannounced).toMatchObject({ name: 'SourceError', retryable: true, data: { reason: 'refused', repo: dev.repoId, commit: second } })
      expect((unannounced as Error).message).toMatch(/dev: refused \(this commit was not announced/)
      const nobody = 'f'.repeat(40)
      const serverOfNobody = await sourcePeer([dev.gitdir], new Set([nobody]))
      const unavailable = await fetchSource({ ...components, dial: serverOfNobody.dial }, { repo: dev.repoId, commit: nobody, peers: ['dev'] }).catch((e: unknown) => e)
      await serverOfNobody.close()
      expect(unavailable).toMatchObject({ name: 'SourceError', data: { reason: 'unavailable' } })
      expect((unavailable as Error).message).toMatch(/no repository on this peer holds this commit/)
    } finally {
      await server.close()
    }
  })

  it('drops haves the server does not hold or that were not announced, and still sends a complete pack', async () => {
    const clone = await dirs.make('clone')
    await git(clone, 'clone', '-q', dev.dir, '.')
    await git(clone, 'checkout', '-q', '-b', 'side', dev.first)
    await writeFiles(clone, { 'elsewhere.txt': 'only in the clone\n' })
    const elsewhere = await commitAll(clone, 'elsewhere')
    const mirrors = createMirrors({ root: await dirs.make('mirrors') })
    const fromDev = await sourcePeer([dev.gitdir], new Set([dev.first, second]))
    // A candidate may be a work tree as well as a git dir; a missing one is skipped.
    const fromClone = await sourcePeer([join(clone, 'no-such-dir'), clone], new Set([elsewhere]))
    for (const commit of [dev.first, second]) await fetchSource({ mirrors, dial: fromDev.dial, logger: silentLogger }, { repo: dev.repoId, commit, peers: ['dev'] })
    await fetchSource({ mirrors, dial: fromClone.dial, logger: silentLogger }, { repo: dev.repoId, commit: elsewhere, peers: ['clone'] })
    await fromDev.close()
    await fromClone.close()
    expect(await mirrors.tips(dev.repoId)).toEqual([elsewhere, second, dev.first])
    // The developer never announced `second` and never saw `elsewhere`: only `first` may be a have.
    const strict = await sourcePeer([dev.gitdir], new Set([dev.first, third, elsewhere]))
    try {
      const got = await fetchSource({ mirrors, dial: strict.dial, logger: silentLogger }, { repo: dev.repoId, commit: third, peers: ['dev'] })
      const expected = (await git(dev.dir, 'rev-list', '--objects', third, '--not', dev.first)).split('\n').length
      expect(got.objects).toBe(expected)
      expect(await mirrors.has(dev.repoId, third)).toBe(true)
    } finally {
      await strict.close()
    }
  })

  it('serves no tree or blob named as a want, even with no haves to check', async () => {
    const tree = (await git(dev.dir, 'rev-parse', `${dev.first}^{tree}`)).trim()
    const blob = (await git(dev.dir, 'rev-parse', `${dev.first}:src/file1.txt`)).trim()
    // A peer may announce any id as a commit; only a commit is ever served for one.
    const server = await sourcePeer([dev.gitdir], new Set([tree, blob]))
    try {
      for (const want of [tree, blob]) {
        const stream = await server.dial()
        await writeFrame(stream, { repo: dev.repoId, want, haves: [], thin: true })
        const answer = await new FrameReader(stream.source, 'git').answer(z.object({ ok: z.literal(true) })).catch((e: unknown) => e)
        expect(answer).toMatchObject({ name: 'RemoteError', data: { remote: { name: 'SourceError' } } })
        stream.abort(new Error('done'))
      }
    } finally {
      await server.close()
    }
  })

  it('answers a malformed request with an error header instead of throwing', async () => {
    const server = await sourcePeer([dev.gitdir], new Set([dev.first]))
    try {
      const stream = await server.dial()
      await writeFrame(stream, { repo: 'not-hex', want: dev.first, haves: [], thin: true })
      const err = await new FrameReader(stream.source, 'git').answer(z.object({ ok: z.literal(true) })).catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'RemoteError', data: { remote: { name: 'ProtocolError' } } })
      expect((err as Error).message).toMatch(/repo/)
      stream.abort(new Error('done'))
    } finally {
      await server.close()
    }
  })

  it('kills pack-objects when the runner goes away in the middle of a pack', async () => {
    const big = await developerRepo(await dirs.make('big'), 1)
    await writeFiles(big.dir, { 'blob.bin': randomBytes(16 * 1024 * 1024).toString('base64') })
    const heavy = await commitAll(big.dir, 'heavy')
    const handler = createSourceServer({ locate: async () => [big.gitdir], announced: () => true, logger: silentLogger })
    let finished!: () => void
    const served = new Promise<void>((resolve) => { finished = resolve })
    const server = await streamServer(async (stream) => { await handler(stream, 'runner'); finished() })
    try {
      const stream = await server.dial()
      await writeFrame(stream, { repo: big.repoId, want: heavy, haves: [], thin: true })
      const reader = new FrameReader(stream.source, 'git')
      await reader.answer(z.object({ ok: z.literal(true) }))
      const first = await reader.rest().next()
      expect(first.done).toBe(false)
      // The runner reads no further: pack-objects is blocked on a full pipe, still running.
      expect(await gitProcesses(big.gitdir)).toHaveLength(1)
      stream.abort(new Error('runner gone'))
      await served
      expect(await gitProcesses(big.gitdir)).toEqual([])
    } finally {
      await server.close()
    }
  })
})
