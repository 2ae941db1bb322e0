/**
 * Bare mirrors of forge repositories under `<dataDir>/forge/`, one per clone URL, which pushes are
 * fetched into and runs are announced from. Fetches go through the hardened git environment (no
 * hooks, no prompts, no system config), only over http, https, git and ssh (ssh in batch mode), with
 * a deadline; the objects are checked (`transfer.fsckObjects`) as they arrive. Every announced
 * commit is pinned under `refs/devq/commits/`, so a later force-push cannot drop what a runner is
 * still to fetch.
 */
import { createHash } from 'node:crypto'
import { access, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { GitCommandError, PIN_PREFIX, runGit } from '@devq/runner'
import { ForgeFetchError } from './errors.ts'
import { FORGE_PROTOCOLS, redactIn, redactUrl } from './forge-url.ts'

/** Where a branch of a forge repository is kept in its mirror: `refs/devq/forge/heads/<branch>`. */
export const FORGE_REF_PREFIX = 'refs/devq/forge/'

/** The mirrors of forge repositories on this peer. */
export interface ForgeMirrors {
  /** The mirror's path for a clone URL (credentials play no part in it). */
  pathOf(url: string): string
  /**
   * Fetches `ref` from `url` into its mirror (created on first use) and makes sure `commit` is there
   * and pinned; returns the mirror's path. When the branch moved on since the push and `commit` is no
   * longer on it, the commit itself is asked for. Callers serialize fetches into one mirror.
   * @throws {ForgeFetchError} naming the URL (without credentials) and git's complaint.
   */
  fetch(push: { url: string, ref: string, commit: string }, signal: AbortSignal): Promise<string>
}

export interface ForgeMirrorsInit {
  /** Parent directory of the mirrors. */
  root: string
  /** Longest one fetch may take, in ms. */
  timeoutMs: number
}

/** The environment of every forge fetch: the transports allowed, and ssh that never asks. */
const FETCH_ENV: Record<string, string> = {
  GIT_ALLOW_PROTOCOL: FORGE_PROTOCOLS.join(':'),
  GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
  GIT_TERMINAL_PROMPT: '0'
}

async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

async function holdsCommit (dir: string, commit: string): Promise<boolean> {
  return await runGit(['--git-dir', dir, 'cat-file', '-t', commit], { maxOutputBytes: 64 })
    .then((r) => r.stdout.toString().trim() === 'commit', () => false)
}

/** What git said about a failed command (its stderr), or how it failed when it said nothing. */
function complaintOf (err: unknown): string {
  if (err instanceof GitCommandError) return err.data.stderr.trim() === '' ? err.data.detail : err.data.stderr.trim()
  return (err as Error).message
}

export function createForgeMirrors (init: ForgeMirrorsInit): ForgeMirrors {
  const pathOf = (url: string): string => join(init.root, `${createHash('sha256').update(redactUrl(url)).digest('hex').slice(0, 32)}.git`)

  const gitFetch = async (dir: string, push: { url: string, ref: string, commit: string }, refspec: string, signal: AbortSignal): Promise<void> => {
    const timeout = AbortSignal.timeout(init.timeoutMs)
    const args = ['--git-dir', dir, '-c', 'transfer.fsckObjects=true', 'fetch', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '--quiet', '--', push.url, refspec]
    try {
      await runGit(args, { env: FETCH_ENV, signal: AbortSignal.any([signal, timeout]), maxOutputBytes: 1024 * 1024 })
    } catch (err) {
      const said = timeout.aborted ? `timed out after ${Math.round(init.timeoutMs / 1000)} s` : complaintOf(err)
      const detail = redactIn(said, push.url).slice(0, 2000)
      throw new ForgeFetchError(`cannot fetch ${push.ref} from ${redactUrl(push.url)}: ${detail}`, { url: redactUrl(push.url), ref: push.ref, commit: push.commit, detail }, { cause: err, retryable: true })
    }
  }

  return {
    pathOf,
    async fetch (push, signal) {
      const dir = pathOf(push.url)
      if (!await exists(join(dir, 'HEAD'))) {
        await mkdir(init.root, { recursive: true, mode: 0o700 })
        await runGit(['init', '--bare', '--quiet', dir])
      }
      await gitFetch(dir, push, `+${push.ref}:${FORGE_REF_PREFIX}${push.ref.slice('refs/'.length)}`, signal)
      if (!await holdsCommit(dir, push.commit)) await gitFetch(dir, push, `+${push.commit}:${PIN_PREFIX}${push.commit}`, signal)
      if (!await holdsCommit(dir, push.commit)) {
        throw new ForgeFetchError(`${push.commit.slice(0, 12)} is not on ${push.ref} of ${redactUrl(push.url)} any more, and the forge does not serve it by id`, { url: redactUrl(push.url), ref: push.ref, commit: push.commit, detail: 'commit not found' })
      }
      await runGit(['--git-dir', dir, 'update-ref', `${PIN_PREFIX}${push.commit}`, push.commit])
      return dir
    }
  }
}
