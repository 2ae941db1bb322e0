import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ADDED_BREAK, BEGIN_MARK, END_MARK, interpreterOf, refusalFor, withBlock, withoutBlock } from '../src/hooks/blocks.ts'
import { blockBody, formerBlockBodies, shQuote, type HookName } from '../src/hooks/script.ts'
import { foreignLines, shUnquote } from '../src/hooks/foreign.ts'
import { pushedHeads } from '../src/hooks/announce.ts'
import { isEntryName, QueueEntry } from '../src/hooks/queue.ts'
import { waitFor } from './harness.ts'

const sh = promisify(execFile)
const BODY = 'echo devq\n'
const SHA = 'a'.repeat(40)

/** A shell hook someone else wrote: a shebang and lines that never look like DevQ's marks. */
const foreignHook = fc.tuple(
  fc.constantFrom('#!/bin/sh', '#!/bin/bash -e', '#!/usr/bin/env bash', '#!/usr/bin/env -S zsh -f'),
  fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '#', '>', '<', 'x', '"', '$', '\t', 'é') }).filter((l) => !l.includes('devq')), { maxLength: 6 }),
  fc.boolean()
).map(([shebang, lines, finalBreak]) => [shebang, ...lines].join('\n') + (finalBreak ? '\n' : ''))

describe('DevQ\'s block in a hook file', () => {
  it('gives a new hook file #!/bin/sh and the block, and takes the whole file away again', () => {
    const { text, change } = withBlock(undefined, BODY)
    expect(change).toBe('created')
    expect(text).toBe(`#!/bin/sh\n${BEGIN_MARK}\n${BODY}${END_MARK}\n`)
    expect(withoutBlock(text)).toEqual({ text: undefined, change: 'deleted' })
  })

  it('appends to an existing hook once: a second install leaves one block, updated in place when the lines changed', () => {
    const own = '#!/bin/bash\nset -e\necho mine > marker\n'
    const first = withBlock(own, BODY)
    expect(first.change).toBe('added')
    expect(first.text.startsWith(own)).toBe(true)
    expect(withBlock(first.text, BODY)).toEqual({ text: first.text, change: 'unchanged' })
    const updated = withBlock(first.text, 'echo devq 2\n')
    expect(updated.change).toBe('updated')
    expect(updated.text.split(BEGIN_MARK)).toHaveLength(2)
    expect(updated.text).toContain('echo devq 2\n')
    expect(withoutBlock(updated.text)).toEqual({ text: own, change: 'removed' })
  })

  it('puts a top block right after the #! line, and a file that did not end in a line break gets it back as it was', () => {
    const own = '#!/bin/sh\ncat > seen'
    const top = withBlock(own, BODY, 'top')
    expect(top.text).toBe(`#!/bin/sh\n${BEGIN_MARK}\n${BODY}${END_MARK}\ncat > seen`)
    expect(withoutBlock(top.text)).toEqual({ text: own, change: 'removed' })
    const end = withBlock(own, BODY)
    expect(end.text).toBe(`${own}\n${BEGIN_MARK}\n${ADDED_BREAK}\n${BODY}${END_MARK}\n`)
    expect(withoutBlock(end.text)).toEqual({ text: own, change: 'removed' })
    expect(withoutBlock(withBlock(end.text, 'echo other\n').text)).toEqual({ text: own, change: 'removed' })
  })

  it('leaves any shell hook byte for byte as it was after install and uninstall, at the end or at the top', () => {
    fc.assert(fc.property(foreignHook, fc.constantFrom('end' as const, 'top' as const), (own, at) => {
      expect(refusalFor(own)).toBeUndefined()
      const once = withBlock(own, BODY, at).text
      expect(withBlock(once, BODY, at).text).toBe(once)
      const onlyShebang = own.split('\n').slice(1).every((l) => l.trim() === '')
      expect(withoutBlock(once)).toEqual(onlyShebang ? { text: undefined, change: 'deleted' } : { text: own, change: 'removed' })
    }))
  })

  it('refuses hooks that are not shell scripts, have no #! line, are binary or hold a damaged block', () => {
    expect(refusalFor('#!/usr/bin/env python3\nprint(1)\n')).toMatchObject({ reason: 'not_shell' })
    expect(refusalFor('#!/usr/bin/node\n')).toMatchObject({ reason: 'not_shell' })
    expect(refusalFor('echo no shebang\n')).toMatchObject({ reason: 'no_shebang' })
    expect(refusalFor('#!/bin/sh\n\0\x01')).toMatchObject({ reason: 'binary' })
    expect(refusalFor(`#!/bin/sh\n${BEGIN_MARK}\necho half\n`)).toMatchObject({ reason: 'damaged_block' })
    expect(refusalFor(`#!/bin/sh\necho half\n${END_MARK}\n`)).toMatchObject({ reason: 'damaged_block' })
    expect(withoutBlock(`#!/bin/sh\n${BEGIN_MARK}\necho half\n`)).toMatchObject({ reason: 'damaged_block' })
    for (const ok of ['#!/bin/sh', '#!/bin/bash -e', '#!/usr/bin/env bash', '#!/usr/bin/env -S bash -eu', '#!/usr/bin/env LC_ALL=C dash', '#! /bin/zsh']) expect(refusalFor(`${ok}\n`), ok).toBeUndefined()
    expect(interpreterOf('#!/usr/bin/env -i PATH=/bin ksh')).toBe('ksh')
  })

  it('quotes paths for sh so that a quote or a space in them stays one word', async () => {
    const path = '/tmp/it\'s a "dir"/$HOME`x`'
    const { stdout } = await sh('sh', ['-c', `printf %s ${shQuote(path)}`])
    expect(stdout).toBe(path)
  })

  it('takes from post-receive only the branch heads that were pushed, not deletions or tags', () => {
    const b = 'b'.repeat(40)
    const zero = '0'.repeat(40)
    expect(pushedHeads(`${zero} ${SHA} refs/heads/main\n${SHA} ${zero} refs/heads/gone\n${zero} ${b} refs/tags/v1\n${SHA} ${b} refs/heads/feature\nnot a line\n`))
      .toEqual([{ commit: SHA, ref: 'refs/heads/main' }, { commit: b, ref: 'refs/heads/feature' }])
  })
})

describe('lines someone added inside DevQ\'s block', () => {
  const target = { node: '/usr/bin/node', cli: '/opt/it\'s devq/bin/devq.ts', dataDir: '/home/a/.devq' }
  const foreign = (hook: HookName) => (inner: string[]) => foreignLines(hook, inner)

  it('stay in the hook where the block was, and nothing else of the block does', () => {
    const own = '#!/bin/sh\necho mine\n'
    const installed = withBlock(own, blockBody('post-commit', target)).text
    const edited = installed.replace('devq_rc=$?\n', 'devq_rc=$?\nnotify-send "committed"\n').replace(`${END_MARK}\n`, `  echo "mine too" >> log\n\n${END_MARK}\n`)
    expect(withoutBlock(edited, foreign('post-commit'))).toEqual({ text: `${own}notify-send "committed"\n  echo "mine too" >> log\n`, change: 'removed', kept: ['notify-send "committed"', '  echo "mine too" >> log'] })
    // A DevQ line someone changed is theirs now: it stays.
    const changed = installed.replace('[ "$devq_rc" -eq 0 ]', '[ "$devq_rc" -eq 0 ] || exit 0')
    expect(withoutBlock(changed, foreign('post-commit'))).toMatchObject({ kept: ['[ "$devq_rc" -eq 0 ] || exit 0'] })
    // In a file DevQ created, what someone added keeps the file.
    const created = withBlock(undefined, blockBody('post-receive', target), 'top').text.replace('devq_refs_end\n', 'devq_refs_end\necho pushed\n')
    expect(withoutBlock(created, foreign('post-receive'))).toEqual({ text: '#!/bin/sh\necho pushed\n', change: 'removed', kept: ['echo pushed'] })
  })

  it('are none in a block an earlier version of install wrote, so upgrading first takes nothing less out', () => {
    const own = '#!/bin/sh\necho mine\n'
    for (const hook of ['post-commit', 'post-rewrite'] as const) {
      const formers = formerBlockBodies(hook, target)
      expect(formers.length).toBeGreaterThan(0)
      for (const former of formers) {
        expect(former).not.toBe(blockBody(hook, target))
        expect(withoutBlock(withBlock(own, former).text, foreign(hook))).toEqual({ text: own, change: 'removed' })
      }
    }
  })

  it('are none in a block as install wrote it, for any paths, so uninstall gives any hook back byte for byte', () => {
    const path = fc.string({ unit: fc.constantFrom('a', '/', ' ', '\'', '"', '$', '\\', 'é', '\n'), minLength: 1 })
    fc.assert(fc.property(foreignHook, fc.constantFrom<HookName>('post-commit', 'post-rewrite', 'post-receive'), path, path, (own, hook, cli, dataDir) => {
      const at = hook === 'post-receive' ? 'top' : 'end'
      const once = withBlock(own, blockBody(hook, { node: '/usr/bin/node', cli, dataDir }), at).text
      const onlyShebang = own.split('\n').slice(1).every((l) => l.trim() === '')
      expect(withoutBlock(once, foreign(hook))).toEqual(onlyShebang ? { text: undefined, change: 'deleted' } : { text: own, change: 'removed' })
      expect(shUnquote(shQuote(dataDir))).toBe(dataDir)
    }), { numRuns: 300 })
  })
})

describe('the hook lines themselves', () => {
  const gone = { node: '/nonexistent/node', cli: '/nonexistent/devq.ts', dataDir: '/nonexistent/data' }

  it('do nothing and keep the hook\'s exit status when devq is gone, even under set -eu', async () => {
    for (const hook of ['post-commit', 'post-rewrite', 'post-receive'] as const) {
      const script = withBlock('#!/bin/sh\nset -eu\n', blockBody(hook, gone), hook === 'post-receive' ? 'top' : 'end').text + 'echo "rest: $(cat)"\n'
      const { stdout } = await sh('sh', ['-c', `printf 'x y refs/heads/main\\n' | sh -c '${script.replaceAll('\'', '\'\\\'\'')}' hook amend`])
      expect(stdout, hook).toBe('rest: x y refs/heads/main\n')
    }
  })
})

describe('the clone hooks queue the commit from the shell', () => {
  it('write a queue entry the node accepts, with the branch (none when detached) and the rewrite in hooks.log', async () => {
    const root = await mkdtemp(join(tmpdir(), 'devq-hookq-'))
    try {
      const repo = join(root, 'my repo')
      const data = join(root, 'data')
      const git = async (...args: string[]): Promise<string> => (await sh('git', ['-C', repo, ...args])).stdout.trim()
      await sh('git', ['init', '-q', '-b', 'main', repo])
      await git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'one')
      const target = { node: process.execPath, cli: join(root, 'devq.ts'), dataDir: data }
      await writeFile(target.cli, '')
      for (const hook of ['post-commit', 'post-rewrite'] as const) {
        await writeFile(join(repo, '.git', 'hooks', hook), withBlock('#!/bin/sh\nset -eu\n', blockBody(hook, target)).text)
        await chmod(join(repo, '.git', 'hooks', hook), 0o755)
      }
      await git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '--amend', '-m', 'two')
      const sha = await git('rev-parse', 'HEAD')
      await git('checkout', '-q', '--detach')
      await git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'three')
      const detached = await git('rev-parse', 'HEAD')
      const names = (await readdir(join(data, 'hook-queue'))).sort()
      expect(names.every(isEntryName)).toBe(true)
      const entries = await Promise.all(names.map(async (n) => QueueEntry.parse(JSON.parse(await readFile(join(data, 'hook-queue', n), 'utf8')))))
      expect(entries.map((e) => [e.hook, e.commit, e.ref, e.dir])).toEqual([
        ['post-commit', sha, 'refs/heads/main', repo], ['post-rewrite', sha, 'refs/heads/main', repo], ['post-commit', detached, '', repo]
      ])
      const log = (await readFile(join(data, 'hooks.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(log.map((l) => [l.event, l.hook, l.rewrite])).toEqual([['queued', 'post-commit', undefined], ['queued', 'post-rewrite', 'amend'], ['queued', 'post-commit', undefined]])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('hand a commit whose entry cannot be written to devq hook announce, which says in hooks.log what failed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'devq-hookq-'))
    try {
      const repo = join(root, 'repo')
      const data = join(root, 'data')
      const git = async (...args: string[]): Promise<string> => (await sh('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args])).stdout.trim()
      await sh('git', ['init', '-q', '-b', 'main', repo])
      const target = { node: process.execPath, cli: join(import.meta.dirname, '..', 'bin', 'devq.ts'), dataDir: data }
      await writeFile(join(repo, '.git', 'hooks', 'post-commit'), withBlock('#!/bin/sh\nset -eu\n', blockBody('post-commit', target)).text)
      await chmod(join(repo, '.git', 'hooks', 'post-commit'), 0o755)
      // A file where the queue directory should be: no entry can be written there, whoever runs the hook.
      await mkdir(data)
      await writeFile(join(data, 'hook-queue'), '')
      await git('commit', '-q', '--allow-empty', '-m', 'one')
      const sha = await git('rev-parse', 'HEAD')
      const lines = await waitFor('the announce\'s error in hooks.log', async () => {
        const log = (await readFile(join(data, 'hooks.log'), 'utf8').catch(() => '')).trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
        return log.some((l) => l.event === 'error') ? log : undefined
      }, 30_000)
      expect(lines.find((l) => l.event === 'error')?.detail).toMatch(/hook-queue/)
      expect(lines.some((l) => l.event === 'queued' && l.commit === sha)).toBe(false)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
