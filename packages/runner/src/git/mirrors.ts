/**
 * The runner's bare mirrors: one per repo id, `<root>/<repoId>.git`. A commit enters a mirror
 * only through a verified fetch and is then pinned under `refs/devq/commits/<sha>`, so every
 * pinned commit has its whole history and trees, and pinned tips make good haves.
 */
import fs from 'node:fs'
import { appendFile, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { isoGit } from './iso-git.ts'
import { WorkspaceError } from '../errors.ts'
import { hasGitBinary, runGit } from './exec.ts'
import { isCommitId, isRepoId } from './ids.ts'
import { missingFrom } from './iso.ts'
import { DEFAULT_TIPS, MAX_MIRROR_PACKS } from './limits.ts'
import { createKeyedLock } from './lock.ts'

/** Where pinned commits live in a mirror. */
export const PIN_PREFIX = 'refs/devq/commits/'

/** Options of `createMirrors`. */
export interface MirrorsInit {
  /** Directory holding the mirrors (created on demand). */
  root: string
  /** PATH in which to find git (default: this process's); a PATH without git uses isomorphic-git. */
  gitPath?: string
}

/** The runner's mirrors. Safe for concurrent use; `exclusive` serializes writers of one mirror. */
export interface Mirrors {
  readonly root: string
  /** The PATH the runner finds git in (undefined: this process's PATH). */
  readonly gitPath: string | undefined
  /** The mirror's git dir (not created). @throws {WorkspaceError} for an id that is not a repo id. */
  pathOf(repoId: string): string
  /** Creates the mirror if needed (bare, no auto gc, no hooks, no reflogs); returns its git dir. Idempotent. */
  ensure(repoId: string): Promise<string>
  /**
   * Whether the mirror holds `commit` with its whole history and trees (pinned, or an ancestor of
   * a pin). With `pinsOnly`, a pin alone answers, without a git process: an unpinned ancestor
   * then counts as missing.
   */
  has(repoId: string, commit: string, opts?: { pinsOnly?: boolean }): Promise<boolean>
  /**
   * Pinned commits, at most `max` (default 32): newest committer date first as git listed them, and
   * before those the ones pinned since, latest pin first. Every one is held whole, so any of them
   * is a safe have; the order only decides which are offered when there are more than `max`.
   */
  tips(repoId: string, max?: number): Promise<string[]>
  /** Pins a verified commit (`refs/devq/commits/<sha>`). Idempotent. */
  pin(repoId: string, commit: string): Promise<void>
  /**
   * Combines small packs (`git repack --geometric=2 -d`, which keeps every object) once the mirror
   * has more than MAX_MIRROR_PACKS; true when it did. Needs git; call under `exclusive`.
   */
  compact(repoId: string): Promise<boolean>
  /** Runs `fn` while holding the mirror's writer lock (one fetch per mirror at a time). */
  exclusive<T>(repoId: string, fn: () => Promise<T>): Promise<T>
}

const MIRROR_CONFIG = '[gc]\n\tauto = 0\n\tautoDetach = false\n[maintenance]\n\tauto = false\n[core]\n\thooksPath = /dev/null\n\tlogAllRefUpdates = false\n'

async function exists (path: string): Promise<boolean> {
  return await lstat(path).then(() => true, () => false)
}

function checkCommit (repoId: string, commit: string, path: string): void {
  if (!isCommitId(commit)) throw new WorkspaceError(`not a commit id: ${JSON.stringify(commit.slice(0, 80))}`, { repo: repoId, path, detail: 'a commit id is 40 lowercase hex digits' })
}

async function initBare (dir: string, useGit: boolean, gitPath: string | undefined): Promise<void> {
  if (useGit) await runGit(['init', '--bare', '-q', '--template=', dir], { gitPath })
  else await (await isoGit()).init({ fs, gitdir: dir, bare: true })
  await appendFile(join(dir, 'config'), MIRROR_CONFIG)
}

/** A pin is written only after its commit was proven complete, so a pinned commit is held whole. */
async function isPinned (dir: string, commit: string): Promise<boolean> {
  return await (await isoGit()).resolveRef({ fs, gitdir: dir, ref: PIN_PREFIX + commit }).then((oid) => oid === commit, () => false)
}

async function hasWithGit (dir: string, commit: string, gitPath: string | undefined): Promise<boolean> {
  if (await isPinned(dir, commit)) return true
  const args = ['--git-dir', dir, 'rev-list', '--objects', '--missing=error', '--quiet', `${commit}^{commit}`, '--not', `--glob=${PIN_PREFIX}*`]
  return await runGit(args, { gitPath }).then(() => true, () => false)
}

async function hasWithIso (dir: string, commit: string): Promise<boolean> {
  if (await isPinned(dir, commit)) return true
  return await missingFrom(dir, commit, await tipsWithIso(dir, DEFAULT_TIPS)).then((missing) => missing === undefined, () => false)
}

async function tipsWithGit (dir: string, max: number, gitPath: string | undefined): Promise<string[]> {
  const out = await runGit(['--git-dir', dir, 'for-each-ref', '--sort=-committerdate', `--count=${max}`, '--format=%(objectname)', PIN_PREFIX], { gitPath })
  return out.stdout.toString().split('\n').filter(isCommitId)
}

async function tipsWithIso (dir: string, max: number): Promise<string[]> {
  const names = await (await isoGit()).listRefs({ fs, gitdir: dir, filepath: PIN_PREFIX.slice(0, -1) })
  const dated: Array<{ oid: string, at: number }> = []
  const cache = {}
  for (const oid of names.filter(isCommitId)) {
    const { commit } = await (await isoGit()).readCommit({ fs, gitdir: dir, oid, cache })
    dated.push({ oid, at: commit.committer.timestamp })
  }
  return dated.sort((a, b) => b.at - a.at || (a.oid < b.oid ? -1 : 1)).slice(0, max).map((d) => d.oid)
}

/**
 * Writes a loose ref in-process, aside and then renamed so it is whole or absent: an update-ref
 * child costs more than the write itself.
 */
async function writeLooseRef (gitdir: string, ref: string, oid: string): Promise<void> {
  const file = join(gitdir, ref)
  await mkdir(dirname(file), { recursive: true })
  const tmp = join(gitdir, `ref-${randomBytes(6).toString('hex')}.tmp`)
  // Synced before the rename, as git syncs refs: after a crash the ref is whole or absent, never empty.
  try {
    const handle = await open(tmp, 'w')
    try {
      await handle.writeFile(`${oid}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/**
 * Tips change only by `pin`, so a mirror is listed once: `read` answers from the last listing,
 * and `pinned` puts a new commit first in it, as the newest (a fresh fetch almost always is;
 * an older one first only changes which tips are offered as haves, never whether they are there).
 * `complete` when the listing held every pin.
 */
function cachedTips (list: (dir: string, count: number) => Promise<string[]>): { read: (dir: string, max: number) => Promise<string[]>, pinned: (dir: string, commit: string) => void } {
  const known = new Map<string, { tips: string[], complete: boolean }>()
  let changes = 0
  return {
    async read (dir, max) {
      const had = known.get(dir)
      if (had !== undefined && (had.complete || had.tips.length >= max)) return had.tips.slice(0, max)
      const count = Math.max(max, DEFAULT_TIPS)
      const before = changes
      const found = await list(dir, count)
      // A pin that landed while git was listing may be missing from `found`: not kept then.
      if (changes === before) known.set(dir, { tips: found, complete: found.length < count })
      return found.slice(0, max)
    },
    pinned (dir, commit) {
      changes++
      const had = known.get(dir)
      // Pinned again: the refs did not change.
      if (had === undefined || had.tips.includes(commit)) return
      const tips = [commit, ...had.tips]
      known.set(dir, had.complete ? { tips, complete: true } : { tips: tips.slice(0, Math.max(DEFAULT_TIPS, had.tips.length)), complete: false })
    }
  }
}

/** The runner's mirrors under `init.root`. */
export function createMirrors (init: MirrorsInit): Mirrors {
  const { root, gitPath } = init
  const lock = createKeyedLock()
  const useGit = async (): Promise<boolean> => await hasGitBinary(gitPath)
  const tipsOf = cachedTips(async (dir, count) => await useGit() ? await tipsWithGit(dir, count, gitPath) : await tipsWithIso(dir, count))

  function pathOf (repoId: string): string {
    if (!isRepoId(repoId)) throw new WorkspaceError(`not a repo id: ${JSON.stringify(repoId.slice(0, 80))}`, { repo: repoId.slice(0, 80), path: root, detail: 'a repo id is 64 lowercase hex digits' })
    return join(root, `${repoId}.git`)
  }

  async function ensure (repoId: string): Promise<string> {
    const dir = pathOf(repoId)
    if (await exists(join(dir, 'HEAD'))) return dir
    await mkdir(root, { recursive: true })
    // Build it aside and rename, so a crash or a concurrent ensure never leaves half a mirror.
    const tmp = `${dir}.tmp-${randomBytes(6).toString('hex')}`
    try {
      await initBare(tmp, await useGit(), gitPath)
      await rename(tmp, dir).catch(async (err: unknown) => {
        if (!await exists(join(dir, 'HEAD'))) throw err
      })
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
    return dir
  }

  async function has (repoId: string, commit: string, opts: { pinsOnly?: boolean } = {}): Promise<boolean> {
    const dir = pathOf(repoId)
    if (!isCommitId(commit) || !await exists(join(dir, 'HEAD'))) return false
    if (opts.pinsOnly === true) return await isPinned(dir, commit)
    return await useGit() ? await hasWithGit(dir, commit, gitPath) : await hasWithIso(dir, commit)
  }

  async function tips (repoId: string, max = DEFAULT_TIPS): Promise<string[]> {
    const dir = pathOf(repoId)
    if (!await exists(join(dir, 'HEAD')) || max <= 0) return []
    return await tipsOf.read(dir, Math.floor(max))
  }

  async function pin (repoId: string, commit: string): Promise<void> {
    const dir = pathOf(repoId)
    checkCommit(repoId, commit, dir)
    await writeLooseRef(dir, PIN_PREFIX + commit, commit)
    tipsOf.pinned(dir, commit)
  }

  async function compact (repoId: string): Promise<boolean> {
    const dir = pathOf(repoId)
    const packs = (await readdir(join(dir, 'objects', 'pack')).catch(() => [] as string[])).filter((n) => n.endsWith('.pack'))
    if (packs.length <= MAX_MIRROR_PACKS || !await useGit()) return false
    // Geometric: it walks no refs, so it never reads the admin dirs of worktrees being added or pruned.
    await runGit(['--git-dir', dir, 'repack', '--geometric=2', '-d', '-q'], { gitPath })
    return true
  }

  async function exclusive<T> (repoId: string, fn: () => Promise<T>): Promise<T> {
    const release = await lock.acquire(pathOf(repoId))
    try {
      return await fn()
    } finally {
      release()
    }
  }

  return { root, gitPath, pathOf, ensure, has, tips, pin, compact, exclusive }
}
