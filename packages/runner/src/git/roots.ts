/**
 * The root commits of a commit's history, from which the repo id is made (see `repoIdOf`). Every
 * announce needs them, and a walk of a long history in-process takes seconds, so roots found once
 * are kept per commit: the walk from a new commit stops at its parent, whose roots are known. A
 * first walk that runs long hands over to `git rev-list --max-parents=0`.
 */
import fs from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { hasGitBinary, runGit } from './exec.ts'
import { isoGit } from './iso-git.ts'
import { noCommit, type GitRepo } from './read.ts'

/** Commits walked in-process before a git binary, if there is one, takes over. */
const WALK_BEFORE_GIT = 64
/** Commits whose roots are kept, over all repositories. */
const MAX_KNOWN = 4096

/** (git dir, shallow boundary, commit) -> its sorted roots; least recently used dropped first. */
const known = new Map<string, string[]>()

/** Roots past this many (a shallow clone's wide boundary) are not kept: 4096 such lists would fill memory. */
const MAX_KEPT_ROOTS = 32

function remember (key: string, roots: string[]): void {
  if (roots.length > MAX_KEPT_ROOTS) return
  known.delete(key)
  known.set(key, roots)
  while (known.size > MAX_KNOWN) known.delete(known.keys().next().value!)
}

async function shallowSet (repo: GitRepo): Promise<Set<string>> {
  const text = await readFile(join(repo.gitdir, 'shallow'), 'utf8').catch(() => '')
  return new Set(text.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l)))
}

/** Where roots of `repo` are kept: a deepened or unshallowed clone has other roots, so the boundary is part of it. */
function placeOf (repo: GitRepo, shallow: Set<string>): string {
  const boundary = shallow.size === 0 ? '' : createHash('sha256').update([...shallow].sort().join('\n')).digest('hex')
  return `${repo.gitdir}\0${boundary}\0`
}

/**
 * Roots as the in-process walk finds them: git would follow the developer's replace refs and
 * graft file, which no clone has, and so give the same history another repo id (the shallow
 * boundary, which it also follows, the walk honours too).
 */
async function rootsByGit (repo: GitRepo, commit: string): Promise<string[]> {
  try {
    const out = await runGit(['--no-replace-objects', '--git-dir', repo.gitdir, 'rev-list', '--max-parents=0', commit], { env: { GIT_GRAFT_FILE: '/dev/null' } })
    return out.stdout.toString().split('\n').filter((l) => l !== '').sort()
  } catch (err) {
    throw noCommit(repo, commit, err instanceof Error ? err.message : String(err))
  }
}

/**
 * The root commits of `commit`'s history, sorted. An iterative walk with a visited set, so any
 * history depth works; it stops at commits whose roots it found before. In a shallow clone the
 * shallow boundary counts as roots (its repo id then differs from a full clone's).
 * @throws {GitReadError} `no_commit` when a commit of the history cannot be read.
 */
export async function rootCommits (repo: GitRepo, commit: string): Promise<string[]> {
  const shallow = await shallowSet(repo)
  const place = placeOf(repo, shallow)
  const hit = known.get(place + commit)
  if (hit !== undefined) return [...hit]
  const cache = {}
  const roots = new Set<string>()
  const seen = new Set<string>([commit])
  const stack = [commit]
  let walked = 0
  while (stack.length > 0) {
    const oid = stack.pop()!
    const before = oid === commit ? undefined : known.get(place + oid)
    if (before !== undefined) {
      for (const r of before) roots.add(r)
      continue
    }
    if (++walked > WALK_BEFORE_GIT && await hasGitBinary()) {
      const all = await rootsByGit(repo, commit)
      remember(place + commit, all)
      return [...all]
    }
    let parents: string[]
    try {
      parents = (await (await isoGit()).readCommit({ fs, gitdir: repo.gitdir, oid, cache })).commit.parent
    } catch (err) {
      throw noCommit(repo, oid, err instanceof Error ? err.message : String(err))
    }
    if (parents.length === 0 || shallow.has(oid)) roots.add(oid)
    else {
      for (const p of parents) {
        if (!seen.has(p)) { seen.add(p); stack.push(p) }
      }
    }
  }
  const sorted = [...roots].sort()
  remember(place + commit, sorted)
  return [...sorted]
}
