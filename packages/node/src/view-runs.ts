/**
 * Runs (one commit's pipeline each) as the CLI shows them: one line per run with its overall
 * status and a count of its jobs' outcomes, the commit's subject and author when this peer holds
 * the commit, and a run's jobs with what each needs.
 */
import { terminalStatuses, type JobState } from '@devq/core'
import { repoAtDir, runGit } from '@devq/runner'
import type { DevqNode } from './node.ts'
import type { RunLine, ShowRunOutput } from './cli-schemas.ts'
import { jobLine, needsOf, repoNameOf } from './view-jobs.ts'

/** Commits' subjects and authors kept in memory (a commit never changes). */
const COMMITS_KEPT = 4096
const MAX_SUBJECT = 256
const MAX_AUTHOR = 256

/** Every run's jobs, by run id, each in announce order; runs newest first. */
export function runsOf (jobs: Iterable<JobState>): Map<string, JobState[]> {
  const byRun = new Map<string, JobState[]>()
  for (const job of jobs) {
    if (job.run === undefined) continue
    const list = byRun.get(job.run)
    if (list === undefined) byRun.set(job.run, [job])
    else list.push(job)
  }
  for (const list of byRun.values()) list.sort((a, b) => a.announceLamport - b.announceLamport)
  return new Map([...byRun].sort(([, a], [, b]) => b[0]!.announceLamport - a[0]!.announceLamport))
}

/**
 * A run's status from its jobs': not all ended -> running (something runs), queued or waiting;
 * all ended -> failed if one failed, else cancelled, else superseded, else succeeded (skipped jobs
 * follow a failure or a cancel, so they add nothing of their own).
 */
export function runStatus (jobs: readonly JobState[]): RunLine['status'] {
  const has = (s: string): boolean => jobs.some((j) => j.status === s)
  if (!jobs.every((j) => terminalStatuses.has(j.status))) return has('running') || has('awarded') ? 'running' : has('queued') ? 'queued' : 'waiting'
  if (has('failed')) return 'failed'
  if (has('cancelled')) return 'cancelled'
  if (has('superseded')) return 'superseded'
  return 'succeeded'
}

function countsOf (jobs: readonly JobState[]): RunLine['jobs'] {
  const n = (...statuses: string[]): number => jobs.filter((j) => statuses.includes(j.status)).length
  return { total: jobs.length, succeeded: n('succeeded', 'cached'), failed: n('failed'), cancelled: n('cancelled', 'superseded'), skipped: n('skipped'), active: jobs.filter((j) => !terminalStatuses.has(j.status)).length }
}

/** What a run line tells of its commit. */
export interface CommitInfo {
  subject: string
  /** The author's name (not the e-mail address). */
  author: string
}

/** Reads commits' subjects and authors from the repositories and mirrors this peer holds, once per commit. */
export interface CommitReader {
  /** The subject and author of `commit` in `repo`, or undefined when this peer holds neither. Never throws. */
  infoOf(node: DevqNode, repo: string, commit: string): Promise<CommitInfo | undefined>
}

/** Subject and author, read by one `git show`; a NUL between them, since a subject may hold anything else. */
async function readCommit (node: DevqNode, repo: string, commit: string): Promise<CommitInfo | undefined> {
  const dirs = [node.repos.pathOf(repo), node.runner.mirrors.pathOf(repo)].filter((d): d is string => d !== undefined)
  for (const dir of dirs) {
    const found = await repoAtDir(dir).catch(() => undefined)
    if (found === undefined) continue
    const out = await runGit(['--git-dir', found.gitdir, 'show', '-s', '--format=%s%x00%an', commit], { maxOutputBytes: 64 * 1024 }).catch(() => undefined)
    if (out === undefined) continue
    const [subject = '', author = ''] = out.stdout.toString('utf8').trim().split('\0')
    return { subject: subject.trim().slice(0, MAX_SUBJECT), author: author.trim().slice(0, MAX_AUTHOR) }
  }
  return undefined
}

export function createCommitReader (): CommitReader {
  const known = new Map<string, CommitInfo>()
  return {
    async infoOf (node, repo, commit) {
      if (!/^[0-9a-f]{64}$/.test(repo) || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined
      const key = `${repo}:${commit}`
      const held = known.get(key)
      if (held !== undefined) return held
      const info = await readCommit(node, repo, commit)
      // A commit not held yet may arrive later with a mirror fetch: only remember what was found.
      if (info !== undefined) {
        if (known.size >= COMMITS_KEPT) known.delete(known.keys().next().value!)
        known.set(key, info)
      }
      return info
    }
  }
}

/** One run as `devq runs` lists it. */
export async function runLine (node: DevqNode, commits: CommitReader, run: string, jobs: readonly JobState[]): Promise<RunLine> {
  const first = jobs[0]!
  const name = repoNameOf(node, first.repo)
  const info = await commits.infoOf(node, first.repo, first.commit)
  return {
    run, repo: first.repo, ...(name === undefined ? {} : { repoName: name }), ref: first.ref, commit: first.commit,
    ...(info === undefined ? {} : { subject: info.subject }),
    ...(info === undefined || info.author === '' ? {} : { author: info.author }),
    status: runStatus(jobs), jobs: countsOf(jobs), origin: first.origin, announcedAt: first.announcedAt
  }
}

/** Everything `devq show <run>` prints. */
export async function showRun (node: DevqNode, commits: CommitReader, run: string, jobs: readonly JobState[]): Promise<ShowRunOutput> {
  const now = Date.now()
  return { kind: 'run', run: await runLine(node, commits, run, jobs), jobs: jobs.map((j) => ({ ...jobLine(node, j, now), needs: needsOf(node, j) })) }
}
