/**
 * Where steps run: worktrees of the runner's mirrors.
 *
 *   <root>/clean/<repo>-<random>        a fresh checkout per job, removed on release
 *   <root>/inc/<repoId>/<job hash>      one persistent worktree per (repo, pipeline job)
 *
 * The path spells the workspace key `<repoId>:<job hash>` (core's `workspaceKey`), which presence
 * reports so that bids are warm only for the job whose worktree is here.
 *
 * An incremental worktree is moved with `git checkout -f --detach`, which rewrites only files
 * that differ, so the rest keep their mtimes and `make` rebuilds only what changed; build outputs
 * stay. Incremental worktrees share a byte budget: after each release the least recently used
 * ones not in use are removed until the rest fit. Without a git binary every workspace is a clean
 * export of the commit made with isomorphic-git (incremental requests get one too, never warm).
 */
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { workspaceKey, type Logger } from '@devq/core'
import { WorkspaceError } from '../errors.ts'
import { hasGitBinary, runGit } from './exec.ts'
import { isCommitId, isRepoId } from './ids.ts'
import { exportTree } from './iso.ts'
import { createKeyedLock } from './lock.ts'
import type { Mirrors } from './mirrors.ts'
import { dirBytes, lruOrder } from './usage.ts'

/** Options of `createWorkspaces`. */
export interface WorkspacesInit {
  root: string
  mirrors: Mirrors
  /** Most bytes all incremental worktrees together may keep after a release. */
  budgetBytes: number
  logger: Logger
}

/** What to check out, and how. `key` is the pipeline job id (one incremental worktree per key). */
export interface PrepareRequest {
  repo: string
  commit: string
  key: string
  mode: 'clean' | 'incremental'
}

/** A prepared workspace. Call `release` once the job is done (idempotent). */
export interface Workspace {
  dir: string
  /** True when an incremental worktree already existed (its build outputs are there). */
  warm: boolean
  release(): Promise<void>
}

/** The runner's workspaces. Prepares of different keys run at once; one key's wait for each other. */
export interface Workspaces {
  prepare(req: PrepareRequest): Promise<Workspace>
  /**
   * Workspace keys (core's `workspaceKey(repo, pipelineJob)`) of the incremental worktrees held
   * here, most recently used first, for presence.
   */
  warmWorkspaces(): Promise<string[]>
}

/** The job part of an incremental worktree's directory name, as `workspaceKey` makes it. */
const JOB_HASH = /^[0-9a-f]{32}$/

/** The workspace key an incremental worktree's path spells: `inc/<repo>/<job hash>`. */
function keyOfDir (dir: string): string {
  return `${basename(dirname(dir))}:${basename(dir)}`
}

async function exists (path: string): Promise<boolean> {
  return await lstat(path).then(() => true, () => false)
}

function failure (req: { repo: string }, path: string, action: string, err: unknown): WorkspaceError {
  const detail = err instanceof Error ? err.message : String(err)
  return new WorkspaceError(`could not ${action} ${path}: ${detail}`, { repo: req.repo, path, detail }, { cause: err })
}

/** The state behind `createWorkspaces`; one per runner root. */
class RunnerWorkspaces implements Workspaces {
  private readonly root: string
  private readonly mirrors: Mirrors
  private readonly budgetBytes: number
  private readonly log: Logger
  private readonly locks = createKeyedLock()
  private readonly lastUse = new Map<string, number>()
  private readonly sizes = new Map<string, number>()
  private tick = 0
  private swept: Promise<void> | undefined

  constructor (init: WorkspacesInit) {
    this.root = init.root
    this.mirrors = init.mirrors
    this.budgetBytes = init.budgetBytes
    this.log = init.logger.child({ component: 'workspaces' })
  }

  async prepare (req: PrepareRequest): Promise<Workspace> {
    if (!isRepoId(req.repo) || !isCommitId(req.commit)) throw failure(req, this.root, 'prepare', new Error('the repo or commit id is malformed'))
    if (req.mode === 'incremental' && await this.hasGit()) return await this.prepareIncremental(req)
    return await this.prepareClean(req)
  }

  async warmWorkspaces (): Promise<string[]> {
    const held: string[] = []
    for (const dir of await this.incrementalDirs()) {
      if (JOB_HASH.test(basename(dir)) && await exists(join(dir, '.git'))) held.push(dir)
    }
    return (await lruOrder(held, this.lastUse)).reverse().map(keyOfDir)
  }

  private get incRoot (): string { return join(this.root, 'inc') }
  private get cleanRoot (): string { return join(this.root, 'clean') }

  /** Where the incremental worktree of `req`'s repo and pipeline job lives (see `keyOfDir`). */
  private incDirOf (req: PrepareRequest): string {
    return join(this.incRoot, req.repo, workspaceKey(req.repo, req.key).slice(req.repo.length + 1))
  }

  private async hasGit (): Promise<boolean> {
    return await hasGitBinary(this.mirrors.gitPath)
  }

  private async git (args: string[], cwd?: string): Promise<void> {
    await runGit(args, { cwd, gitPath: this.mirrors.gitPath })
  }

  /**
   * Runs `fn` while no other change to the mirror's list of worktrees runs. `worktree prune`
   * drops every admin dir whose worktree or its `.git` is missing, and `worktree add` reads every
   * other admin dir and makes its own before the worktree: overlapping, either one fails. Hold it
   * briefly, never around a checkout of files, so jobs of one repo start together.
   */
  private async withWorktreeList<T> (repo: string, fn: () => Promise<T>): Promise<T> {
    const unlock = await this.locks.acquire(`worktrees:${repo}`)
    try {
      return await fn()
    } finally {
      unlock()
    }
  }

  /** Checks `commit` out into the worktree at `dir` whose admin dir is `admin`, no hook or fsmonitor of the worktree's own. */
  private async checkoutAt (admin: string, dir: string, commit: string): Promise<void> {
    await this.git(['--git-dir', admin, '--work-tree', dir, '-c', 'core.fsmonitor=false', 'checkout', '-f', '-q', '--detach', commit], dir)
  }

  /**
   * Removes a worktree without asking git to look inside it (its `.git` is the job's to change):
   * the directory goes, then `worktree prune` drops the admin dir whose worktree is gone.
   */
  private async removeWorktree (repo: string, dir: string): Promise<void> {
    const gitdir = this.mirrors.pathOf(repo)
    await rm(dir, { recursive: true, force: true })
    if (await exists(join(gitdir, 'HEAD')) && await this.hasGit()) {
      await this.withWorktreeList(repo, async () => { await this.git(['--git-dir', gitdir, 'worktree', 'prune']) }).catch(() => {})
    }
  }

  /**
   * The mirror's admin dir of the worktree at `dir`, found from the mirror's side (its `gitdir`
   * files), never from the worktree's `.git`, which a step may have rewritten.
   */
  private async adminDirOf (repo: string, dir: string): Promise<string | undefined> {
    const root = join(this.mirrors.pathOf(repo), 'worktrees')
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const text = await readFile(join(root, name, 'gitdir'), 'utf8').catch(() => '')
      if (text.trim() === join(dir, '.git')) return join(root, name)
    }
    return undefined
  }

  private async checkout (req: PrepareRequest, dir: string): Promise<void> {
    const gitdir = this.mirrors.pathOf(req.repo)
    if (await this.hasGit()) {
      // Only the registration needs the list; the files are written after, outside it.
      await this.withWorktreeList(req.repo, async () => { await this.git(['--git-dir', gitdir, 'worktree', 'add', '--detach', '--force', '--no-checkout', '-q', dir, req.commit]) })
      const admin = await this.adminDirOf(req.repo, dir)
      if (admin === undefined) throw new Error(`git registered no worktree at ${dir}`)
      await this.checkoutAt(admin, dir, req.commit)
      return
    }
    await mkdir(dir, { recursive: true })
    await exportTree(gitdir, req.commit, dir)
  }

  private async prepareClean (req: PrepareRequest): Promise<Workspace> {
    // Clean workspaces left by a crash are garbage: sweep them once, before the first new one.
    this.swept ??= rm(this.cleanRoot, { recursive: true, force: true }).then(async () => { await mkdir(this.cleanRoot, { recursive: true }) })
    await this.swept
    const dir = join(this.cleanRoot, `${req.repo.slice(0, 12)}-${randomBytes(8).toString('hex')}`)
    try {
      await this.checkout(req, dir)
    } catch (err) {
      await this.removeWorktree(req.repo, dir)
      throw failure(req, dir, `check out ${req.commit} into`, err)
    }
    let released: Promise<void> | undefined
    return { dir, warm: false, release: async () => { released ??= this.removeWorktree(req.repo, dir); await released } }
  }

  /**
   * Moves the worktree at `dir` to the commit, or makes it; true when it already existed. The
   * previous job could have rewritten anything in the worktree, its `.git` included (pointing git
   * at a config with an fsmonitor or filter hook that would then run here, outside any sandbox):
   * git is told its git dir and work tree explicitly, and `.git` is written anew.
   */
  private async moveOrCreate (req: PrepareRequest, dir: string): Promise<boolean> {
    const admin = await this.adminDirOf(req.repo, dir)
    if (admin !== undefined) {
      try {
        // A prune seeing `.git` missing would drop this worktree's admin dir and its build outputs.
        await this.withWorktreeList(req.repo, async () => {
          await rm(join(dir, '.git'), { recursive: true, force: true })
          await writeFile(join(dir, '.git'), `gitdir: ${admin}\n`)
        })
        await this.checkoutAt(admin, dir, req.commit)
        return true
      } catch (err) {
        this.log.warn({ repo: req.repo, dir, err }, 'incremental worktree unusable; making it again')
      }
    }
    await this.removeWorktree(req.repo, dir)
    await mkdir(dirname(dir), { recursive: true })
    await this.checkout(req, dir)
    return false
  }

  private async prepareIncremental (req: PrepareRequest): Promise<Workspace> {
    const dir = this.incDirOf(req)
    const unlock = await this.locks.acquire(dir)
    let warm: boolean
    try {
      warm = await this.moveOrCreate(req, dir)
    } catch (err) {
      unlock()
      throw failure(req, dir, `check out ${req.commit} into`, err)
    }
    this.lastUse.set(dir, ++this.tick)
    const release = async (): Promise<void> => {
      this.lastUse.set(dir, ++this.tick)
      this.sizes.set(dir, await dirBytes(dir))
      unlock()
      await this.evict()
    }
    let released: Promise<void> | undefined
    return { dir, warm, release: async () => { released ??= release(); await released } }
  }

  private async incrementalDirs (): Promise<string[]> {
    const out: string[] = []
    for (const repo of await readdir(this.incRoot).catch(() => [] as string[])) {
      if (!isRepoId(repo)) continue
      for (const name of await readdir(join(this.incRoot, repo)).catch(() => [] as string[])) out.push(join(this.incRoot, repo, name))
    }
    return out
  }

  /** Removes least recently used incremental worktrees not in use until the rest fit the budget. */
  private async evictOnce (): Promise<void> {
    const all = await this.incrementalDirs()
    let total = 0
    for (const dir of all) {
      if (!this.sizes.has(dir)) this.sizes.set(dir, await dirBytes(dir))
      total += this.sizes.get(dir)!
    }
    for (const dir of await lruOrder(all, this.lastUse)) {
      if (total <= this.budgetBytes) break
      // In use, or about to be: never wait here, the holder's own release evicts again.
      const unlock = this.locks.tryAcquire(dir)
      if (unlock === undefined) continue
      try {
        await this.removeWorktree(basename(dirname(dir)), dir)
        const bytes = this.sizes.get(dir) ?? 0
        total -= bytes
        this.log.info({ dir, bytes, budgetBytes: this.budgetBytes }, 'evicted an incremental worktree')
        this.sizes.delete(dir)
        this.lastUse.delete(dir)
      } finally {
        unlock()
      }
    }
  }

  private async evict (): Promise<void> {
    const unlock = await this.locks.acquire('evict')
    try {
      await this.evictOnce()
    } catch (err) {
      this.log.warn({ err }, 'workspace eviction failed')
    } finally {
      unlock()
    }
  }
}

/**
 * The runner's workspaces under `init.root` (created on demand). Clean workspaces from an
 * earlier run are removed before the first new one; incremental ones are kept and reused.
 */
export function createWorkspaces (init: WorkspacesInit): Workspaces {
  return new RunnerWorkspaces(init)
}
