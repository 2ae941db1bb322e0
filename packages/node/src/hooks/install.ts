/**
 * `devq hook install` and `uninstall`: where the repository's hooks are (`git rev-parse
 * --git-path hooks`, which follows core.hooksPath and linked worktrees), whether a hook manager
 * owns them, and the edits to each hook file. Every hook is checked before any is written, so a
 * refusal leaves all of them as they were.
 */
import { existsSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { HookError } from '../errors.ts'
import { adviceFor, managerOf, MANAGER_PATHS, type Advice, type HookManager } from './advice.ts'
import { BEGIN_MARK, findBlock, type BlockChange, type UnblockChange } from './blocks.ts'
import { foreignLines } from './foreign.ts'
import { checkHook, putBlock, readHook, takeBlock, type FoundHook } from './hook-files.ts'
import { blockBody, CLONE_HOOKS, placementOf, SERVER_HOOKS, type HookName, type HookTarget } from './script.ts'

/** Where a repository keeps its hooks. */
export interface HookSite {
  /** The work tree's top, or the git dir of a bare repository. */
  repo: string
  bare: boolean
  /** Absolute. */
  hooksDir: string
}

/** One hook file and what install or uninstall did to it. */
export interface HookChange<C> {
  hook: HookName
  path: string
  change: C
}

/** What `installHooks` did: wrote hooks, or (a manager owns them) only advice. */
export type InstallResult =
  | ({ action: 'installed', hooks: HookChange<BlockChange>[], warnings: string[] } & HookSite)
  | ({ action: 'advice', manager: HookManager, tracked: string[], advice: Advice[] } & HookSite)

/** One hook uninstall changed; `kept`: lines someone added inside DevQ's block, left in the hook. */
export type UninstallChange = HookChange<UnblockChange> & { kept?: string[] }

/** What `uninstallHooks` did, and where a manager's files still hold DevQ's lines. */
export type UninstallResult = { action: 'uninstalled', hooks: UninstallChange[], advice: Advice[] } & HookSite

async function git (dir: string, args: string[]): Promise<string> {
  const res = await execa('git', ['-C', dir, ...args], { reject: false, stripFinalNewline: true, env: { GIT_OPTIONAL_LOCKS: '0' } })
  if (res.exitCode === 0) return String(res.stdout)
  // A path with bytes that are not UTF-8 reaches JavaScript with U+FFFD in their place: that
  // path does not exist, and git cannot even be started in it (its working directory).
  if (dir.includes('\uFFFD') && !existsSync(dir)) {
    throw new HookError(`${dir}: the path is not valid UTF-8, so devq cannot name it to git; rename the directory (or reach it through a symlink whose path is UTF-8) and run again`, { reason: 'not_utf8', path: dir, detail: 'not UTF-8' })
  }
  const stderr = String(res.stderr).trim()
  const detail = stderr !== '' ? stderr : res.shortMessage ?? `git exited ${String(res.exitCode)}`
  throw new HookError(`${dir} is not in a git repository: ${detail}`, { reason: 'not_a_repository', path: dir, detail })
}

/** Finds the repository around `dir` and its hooks directory, resolved against `dir` as git printed it. */
export async function hookSite (start: string): Promise<HookSite> {
  // git prints real paths; the hooks dir is resolved against the same real directory.
  const dir = await realpath(start).catch(() => resolve(start))
  const [bare, hooks] = (await git(dir, ['rev-parse', '--is-bare-repository', '--git-path', 'hooks'])).split('\n')
  const isBare = bare === 'true'
  const repo = isBare ? await git(dir, ['rev-parse', '--absolute-git-dir']) : await git(dir, ['rev-parse', '--show-toplevel'])
  return { repo, bare: isBare, hooksDir: resolve(dir, hooks ?? 'hooks') }
}

/** Tracked files that name a hook manager (none in a bare repository, which has no work tree). */
async function trackedManagerFiles (site: HookSite): Promise<string[]> {
  if (site.bare) return []
  const out = await git(site.repo, ['ls-files', '-z', '--', ...MANAGER_PATHS])
  return out.split('\0').filter((f) => f !== '')
}

/** An `exit` at the start of a line ends the hook early, and then a block at its end never runs. */
const exitsEarly = (found: FoundHook): boolean => found !== undefined && /^\s*exit\b/m.test(found.text) && findBlock(found.text) === undefined

/**
 * Installs DevQ's block in the repository at `dir`: post-commit and post-rewrite, or with
 * `server` post-receive. Idempotent: a second install updates the one block in place.
 * Throws HookError (nothing written) when a hook cannot take the block.
 */
export async function installHooks (init: { dir: string, server: boolean, target: HookTarget }): Promise<InstallResult> {
  const site = await hookSite(init.dir)
  const hooks: readonly HookName[] = init.server ? SERVER_HOOKS : CLONE_HOOKS
  const tracked = await trackedManagerFiles(site)
  const manager = managerOf(tracked)
  if (manager !== undefined) return { action: 'advice', ...site, manager, tracked, advice: adviceFor(manager, hooks, init.target) }
  const found = new Map<HookName, FoundHook>()
  for (const hook of hooks) {
    const path = join(site.hooksDir, hook)
    const existing = await readHook(path, true)
    checkHook(path, existing)
    found.set(hook, existing)
  }
  const warnings: string[] = []
  const inside = (root: string): boolean => site.hooksDir === root || site.hooksDir.startsWith(root + '/')
  if (!inside(site.repo) && !inside(await git(site.repo, ['rev-parse', '--path-format=absolute', '--git-common-dir']))) {
    warnings.push(`core.hooksPath points at ${site.hooksDir}, outside this repository: every repository that uses it now announces its commits`)
  }
  const changes: HookChange<BlockChange>[] = []
  for (const hook of hooks) {
    const path = join(site.hooksDir, hook)
    const existing = found.get(hook)
    if (placementOf(hook) === 'end' && exitsEarly(existing)) warnings.push(`${path} has an exit line before its end: when it exits there, DevQ's lines (added at the end) do not run`)
    changes.push({ hook, path, change: await putBlock(path, existing, blockBody(hook, init.target), placementOf(hook)) })
  }
  return { action: 'installed', ...site, hooks: changes, warnings }
}

/**
 * Takes DevQ's block out of every hook it may be in (post-commit, post-rewrite, post-receive),
 * deleting a file that held nothing else. Lines someone added inside the block stay in the hook
 * (where the block was, without its marks) and are listed as `kept`. Idempotent. With a manager, `advice` names its files
 * that still hold DevQ's lines (DevQ does not edit tracked files).
 */
export async function uninstallHooks (init: { dir: string }): Promise<UninstallResult> {
  const site = await hookSite(init.dir)
  const changes: UninstallChange[] = []
  for (const hook of [...CLONE_HOOKS, ...SERVER_HOOKS]) {
    const path = join(site.hooksDir, hook)
    const existing = await readHook(path, false).catch((err: unknown) => {
      // A link or a special file is never one DevQ wrote.
      if ((err as HookError).name === 'HookError' && ['symlink', 'not_a_file'].includes((err as HookError).data.reason)) return undefined
      throw err
    })
    changes.push({ hook, path, ...await takeBlock(path, existing, (inner) => foreignLines(hook, inner)) })
  }
  const advice: Advice[] = []
  for (const file of new Set([...await trackedManagerFiles(site), 'lefthook-local.yml'])) {
    const text = await readHook(join(site.repo, file), false).catch(() => undefined)
    if (text?.text.includes(BEGIN_MARK) === true) advice.push({ file, text: `remove the lines from ${BEGIN_MARK} to its end mark` })
  }
  return { action: 'uninstalled', ...site, hooks: changes, advice }
}
