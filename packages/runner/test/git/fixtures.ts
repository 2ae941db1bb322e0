/**
 * Test fixtures for git source distribution: real repositories made with the real git binary in
 * temp dirs, a real loopback server speaking the `git` protocol, and probes of the process table.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { silentLogger, type ByteStream } from '@devq/core'
import { runGit } from '../../src/git/exec.ts'
import { findRepo, repoIdOf } from '../../src/git/read.ts'
import { rootCommits } from '../../src/git/roots.ts'
import { createSourceServer, type SourceServerInit } from '../../src/git/serve.ts'
import { streamServer } from '../streams.ts'

/** Temp dirs made by one test file; `cleanup()` in afterAll/afterEach removes them. */
export function tempDirs (): { make: (prefix: string) => Promise<string>, cleanup: () => Promise<void> } {
  const made: string[] = []
  return {
    make: async (prefix) => {
      const dir = await mkdtemp(join(tmpdir(), `devq-${prefix}-`))
      made.push(dir)
      return dir
    },
    cleanup: async () => {
      for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true })
    }
  }
}

let clock = 1_700_000_000

/** Runs git in `cwd` as a fixed test author, with committer dates that always move forward. */
export async function git (cwd: string, ...args: string[]): Promise<string> {
  clock += 60
  const date = `@${clock} +0000`
  const env = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.test', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.test', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }
  return (await runGit(args, { cwd, env })).stdout.toString().trim()
}

/** Writes `files` (path -> content) under `dir`, creating folders. */
export async function writeFiles (dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), content)
  }
}

/** Commits everything in `dir`; returns the new commit id. */
export async function commitAll (dir: string, message: string): Promise<string> {
  await git(dir, 'add', '-A')
  await git(dir, 'commit', '-q', '-m', message)
  return await git(dir, 'rev-parse', 'HEAD')
}

/** Pseudo-random text of about `bytes` bytes, reproducible from `seed` (compresses like source code does not). */
export function noise (seed: string, bytes: number): string {
  let out = ''
  let block = seed
  while (out.length < bytes) {
    block = createHash('sha256').update(block).digest('hex')
    out += block + (out.length % 128 === 0 ? '\n' : '')
  }
  return out.slice(0, bytes) + '\n'
}

/** A developer repository on branch main with `count` files, committed once. */
export async function developerRepo (dir: string, count = 20): Promise<{ dir: string, gitdir: string, repoId: string, first: string }> {
  await git(dir, 'init', '-q', '-b', 'main')
  const files: Record<string, string> = {}
  for (let i = 0; i < count; i++) files[`src/file${i}.txt`] = noise(`file${i}`, 2000 + i * 100)
  await writeFiles(dir, files)
  const first = await commitAll(dir, 'first')
  const repo = await findRepo(dir)
  return { dir, gitdir: repo.gitdir, repoId: repoIdOf(await rootCommits(repo, first)), first }
}

/** Every file under `dir` with its size, mode, mtime and content hash: any write shows up. */
export async function snapshot (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const stack = [dir]
  while (stack.length > 0) {
    const d = stack.pop()!
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name)
      const st = await stat(path)
      if (entry.isDirectory()) {
        out[path] = `dir ${st.mode} ${st.mtimeMs}`
        stack.push(path)
      } else {
        out[path] = `${st.size} ${st.mode} ${st.mtimeMs} ${createHash('sha256').update(await readFile(path)).digest('hex')}`
      }
    }
  }
  return out
}

/** A `git` protocol server on loopback serving `gitdirs`, with only `announced` commits allowed. */
export async function sourcePeer (gitdirs: string[], announced: Set<string>, init: SourceServerInit = {}): Promise<{ dial: () => Promise<ByteStream>, close: () => Promise<void> }> {
  const handler = createSourceServer({ locate: async () => gitdirs, announced: (_repo, commit) => announced.has(commit), logger: silentLogger }, init)
  return await streamServer(async (stream) => { await handler(stream, 'runner') })
}

/** Pids of running git processes whose command line mentions `needle`. */
export async function gitProcesses (needle: string): Promise<number[]> {
  const pids: number[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const cmd = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')
    const parts = cmd.split('\0')
    if (/(^|\/)git$/.test(parts[0] ?? '') && cmd.includes(needle)) {
      const status = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')
      if (!/^\d+ \(.*\) Z/.test(status)) pids.push(Number(name))
    }
  }
  return pids
}

/** Size in bytes of a full pack of `commit` made by `git pack-objects --revs` in `gitdir`. */
export async function fullPackBytes (gitdir: string, commit: string): Promise<number> {
  return (await runGit(['--git-dir', gitdir, 'pack-objects', '--revs', '--delta-base-offset', '--stdout', '-q'], { input: `${commit}\n`, maxOutputBytes: 1 << 30 })).stdout.length
}

/** A directory with no git binary in it, to use as PATH. */
export async function pathWithoutGit (dirs: { make: (prefix: string) => Promise<string> }): Promise<string> {
  return await dirs.make('nogit')
}
