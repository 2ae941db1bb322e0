/**
 * In-process reads of a git repository with isomorphic-git: finding the repository, resolving a
 * revision, the repo id, files at a commit. Works on normal repositories, linked worktrees (a
 * `.git` file and a `commondir`) and bare mirrors. Nothing here writes to the repository.
 */
import fs from 'node:fs'
import { lstat, readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import type { TreeObject } from 'isomorphic-git'
import { isoGit } from './iso-git.ts'
import { GitReadError } from '../errors.ts'
import { knownBlobText, rememberBlobText } from './blob-texts.ts'
import { hasGitBinary, runGit } from './exec.ts'
import { MAX_DOTGIT_FILE_BYTES } from './limits.ts'

/** Where a repository lives. */
export interface GitRepo {
  /** The working tree; for a bare repository, the repository itself. */
  dir: string
  /** Where objects and refs live: the common dir of a linked worktree. */
  gitdir: string
  /** Where this checkout's HEAD lives: `gitdir`, except in a linked worktree. */
  headdir: string
  bare: boolean
}

/** A resolved revision. */
export interface ResolvedCommit {
  commit: string
  tree: string
  /** `refs/heads/<b>` when HEAD is on a branch; the rev as given otherwise; `''` for a detached HEAD. */
  ref: string
}

const FULL_SHA = /^[0-9a-f]{40}$/
const SHORT_SHA = /^[0-9a-f]{4,39}$/

async function readSmall (path: string): Promise<string | undefined> {
  try {
    const st = await lstat(path)
    if (!st.isFile() || st.size > MAX_DOTGIT_FILE_BYTES) return undefined
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

async function isDir (path: string): Promise<boolean> {
  return await lstat(path).then((s) => s.isDirectory(), () => false)
}

/** Whether `path` looks like a git dir: a HEAD file and either objects or a commondir. */
async function isGitDir (path: string): Promise<boolean> {
  if (await readSmall(join(path, 'HEAD')) === undefined) return false
  return await isDir(join(path, 'objects')) || await readSmall(join(path, 'commondir')) !== undefined
}

async function withCommonDir (dir: string, headdir: string, bare: boolean): Promise<GitRepo> {
  const common = await readSmall(join(headdir, 'commondir'))
  const gitdir = common === undefined ? headdir : resolve(headdir, common.trim())
  return { dir, gitdir, headdir, bare }
}

async function repoAt (dir: string): Promise<GitRepo | undefined> {
  const dotgit = join(dir, '.git')
  const st = await lstat(dotgit).catch(() => undefined)
  if (st?.isDirectory() === true && await isGitDir(dotgit)) return await withCommonDir(dir, dotgit, false)
  if (st?.isFile() === true) {
    const text = await readSmall(dotgit)
    const match = text === undefined ? null : /^gitdir: (.+)$/m.exec(text)
    if (match?.[1] !== undefined) {
      const target = resolve(dir, match[1].trim())
      if (await isGitDir(target)) return await withCommonDir(dir, target, false)
    }
  }
  if (await isGitDir(dir)) return await withCommonDir(dir, dir, true)
  return undefined
}

/**
 * The repository at exactly `dir` (a work tree, a linked worktree or a git dir), without walking
 * up; undefined when `dir` is none of those.
 */
export async function repoAtDir (dir: string): Promise<GitRepo | undefined> {
  return await repoAt(resolve(dir))
}

/**
 * Finds the repository containing `start`, walking up like git does.
 * @throws {GitReadError} `not_a_repository` when no directory up to the root is one.
 */
export async function findRepo (start: string): Promise<GitRepo> {
  let dir = resolve(start)
  while (true) {
    const repo = await repoAt(dir)
    if (repo !== undefined) return repo
    const parent = dirname(dir)
    if (parent === dir) throw new GitReadError(`${start} is not in a git repository`, { dir: start, detail: 'no .git found up to the root', reason: 'not_a_repository' })
    dir = parent
  }
}

/** The `no_commit` error for `rev` of `repo`. */
export function noCommit (repo: GitRepo, rev: string, detail: string): GitReadError {
  return new GitReadError(`${rev} is not a commit in ${repo.dir}: ${detail}`, { dir: repo.dir, detail, reason: 'no_commit' })
}

async function headOf (repo: GitRepo): Promise<{ oid: string, ref: string }> {
  const head = (await readSmall(join(repo.headdir, 'HEAD')))?.trim() ?? ''
  if (!head.startsWith('ref: ')) return { oid: head, ref: '' }
  const ref = head.slice(5).trim()
  const oid = await (await isoGit()).resolveRef({ fs, gitdir: repo.gitdir, ref }).catch(() => undefined)
  if (oid === undefined) throw noCommit(repo, 'HEAD', `${ref} has no commit yet`)
  return { oid, ref }
}

async function oidOf (repo: GitRepo, rev: string, cache: object): Promise<string> {
  if (FULL_SHA.test(rev.toLowerCase())) return rev.toLowerCase()
  const byRef = await (await isoGit()).resolveRef({ fs, gitdir: repo.gitdir, ref: rev }).catch(() => undefined)
  if (byRef !== undefined) return byRef
  if (SHORT_SHA.test(rev.toLowerCase())) {
    const full = await (await isoGit()).expandOid({ fs, gitdir: repo.gitdir, oid: rev.toLowerCase(), cache }).catch(() => undefined)
    if (full !== undefined) return full
  }
  throw noCommit(repo, rev, 'no such branch, tag or commit')
}

/**
 * Resolves `rev` (default HEAD: a full or short sha, a branch or tag name, or `HEAD`) to a commit
 * and its tree; annotated tags are peeled.
 * @throws {GitReadError} `no_commit` when it names no commit.
 */
export async function resolveCommit (repo: GitRepo, rev = 'HEAD'): Promise<ResolvedCommit> {
  const cache = {}
  const { oid, ref } = rev === 'HEAD' ? await headOf(repo) : { oid: await oidOf(repo, rev, cache), ref: rev }
  try {
    const read = await (await isoGit()).readCommit({ fs, gitdir: repo.gitdir, oid, cache })
    return { commit: read.oid, tree: read.commit.tree, ref }
  } catch (err) {
    throw noCommit(repo, rev, err instanceof Error ? err.message : String(err))
  }
}

/** The repo id: sha256 hex of the sorted root commit ids joined by "\n". Pure. */
export function repoIdOf (roots: readonly string[]): string {
  return createHash('sha256').update([...roots].sort().join('\n')).digest('hex')
}

async function treeOf (repo: GitRepo, commit: string, cache: object): Promise<TreeObject> {
  try {
    return (await (await isoGit()).readTree({ fs, gitdir: repo.gitdir, oid: commit, cache })).tree
  } catch (err) {
    throw noCommit(repo, commit, err instanceof Error ? err.message : String(err))
  }
}

/** The blob id of the regular file at `path` in `commit`'s tree, or undefined. */
async function blobAt (repo: GitRepo, commit: string, path: string, cache: object): Promise<string | undefined> {
  const parts = path.replace(/^\.\//, '').split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined
  let tree = await treeOf(repo, commit, cache)
  for (let i = 0; i < parts.length; i++) {
    const entry = tree.find((e) => e.path === parts[i])
    if (entry === undefined) return undefined
    if (i === parts.length - 1) return entry.type === 'blob' && entry.mode !== '120000' ? entry.oid : undefined
    if (entry.type !== 'tree') return undefined
    tree = (await (await isoGit()).readTree({ fs, gitdir: repo.gitdir, oid: entry.oid, cache })).tree
  }
  return undefined
}

/**
 * The text (UTF-8) of the file at `path` as committed in `commit` (never the working tree), or
 * undefined when there is no regular file there. When a git binary exists its size is checked
 * before the blob is inflated, so a small compressed bomb cannot fill memory. A blob read before
 * (by id, in any repository) is answered from memory.
 * @throws {GitReadError} `no_commit` for an unknown commit, `unreadable` for a file over `maxBytes`.
 */
export async function readFileAtCommit (repo: GitRepo, commit: string, path: string, maxBytes: number, opts: { gitPath?: string } = {}): Promise<string | undefined> {
  const cache = {}
  const oid = await blobAt(repo, commit, path, cache)
  if (oid === undefined) return undefined
  const tooLarge = (size: number): GitReadError => new GitReadError(`${path} at ${commit} is ${size} bytes, over the ${maxBytes}-byte cap`, { dir: repo.dir, detail: `${path} is over ${maxBytes} bytes`, reason: 'unreadable' })
  const known = knownBlobText(oid)
  if (known !== undefined) {
    if (known.bytes > maxBytes) throw tooLarge(known.bytes)
    return known.text
  }
  if (await hasGitBinary(opts.gitPath)) {
    const size = Number((await runGit(['--git-dir', repo.gitdir, 'cat-file', '-s', oid], { gitPath: opts.gitPath })).stdout.toString().trim())
    if (size > maxBytes) throw tooLarge(size)
  }
  const { blob } = await (await isoGit()).readBlob({ fs, gitdir: repo.gitdir, oid, cache })
  if (blob.length > maxBytes) throw tooLarge(blob.length)
  const text = new TextDecoder().decode(blob)
  rememberBlobText(oid, text, blob.length)
  return text
}

/**
 * Names of the top-level entries of `commit`'s tree, sorted (to suggest a starter pipeline from
 * a Makefile, package.json, Cargo.toml or go.mod).
 * @throws {GitReadError} `no_commit` for an unknown commit.
 */
export async function listTopLevel (repo: GitRepo, commit: string): Promise<string[]> {
  return (await treeOf(repo, commit, {})).map((e) => e.path).sort()
}
