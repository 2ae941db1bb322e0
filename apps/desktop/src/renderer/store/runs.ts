/** Runs (one commit's pipeline each), updated live from `run.changed`, and the runs pages opened. */
import type { StateCreator } from 'zustand'
import type { JobCounts, RunLine, RunSummary } from '../api/types.ts'
import type { DevqState, RunsSlice } from './state.ts'


/** A run's job counts from a stream summary's counts by status. */
export function countsOf (summary: RunSummary): JobCounts {
  const c = summary.counts
  const n = (k: string): number => c[k] ?? 0
  const ended = n('succeeded') + n('failed') + n('cancelled') + n('skipped') + n('superseded')
  return { total: summary.jobs, succeeded: n('succeeded'), failed: n('failed'), cancelled: n('cancelled'), skipped: n('skipped'), active: summary.jobs - ended }
}

/** The run line after a stream summary; what only the view has (subject, author) is kept. */
export function mergeRun (line: RunLine | undefined, run: RunSummary, announcedAt: number): RunLine {
  return { ...line, run: run.run, repo: run.repo, ref: run.ref, commit: run.commit, origin: run.origin, status: run.status, jobs: countsOf(run), announcedAt: line?.announcedAt ?? announcedAt }
}

/** `line` (from a GET) under the status and counts the stream keeps current (see jobs.ts). */
function withLive (live: RunLine | undefined, line: RunLine): RunLine {
  return live === undefined ? line : { ...live, ...line, status: live.status, jobs: live.jobs }
}

export const createRunsSlice: StateCreator<DevqState, [], [], RunsSlice> = (set) => ({
  runs: {},
  runDetails: {},
  runsLoaded: (lines) => {
    set((s) => {
      const runs = { ...s.runs }
      for (const l of lines) runs[l.run] = { ...runs[l.run], ...l }
      return { runs }
    })
  },
  runChanged: (run) => {
    set((s) => {
      const first = Object.values(s.jobs).find((j) => j.run === run.run)
      return { runs: { ...s.runs, [run.run]: mergeRun(s.runs[run.run], run, first?.announcedAt ?? Date.now()) } }
    })
  },
  runDetailLoaded: (detail) => {
    set((s) => ({ runDetails: { ...s.runDetails, [detail.run.run]: detail }, runs: { ...s.runs, [detail.run.run]: withLive(s.runs[detail.run.run], detail.run) } }))
  }
})

/** Runs newest first. */
export function runsNewestFirst (runs: Record<string, RunLine>): RunLine[] {
  return Object.values(runs).sort((a, b) => b.announcedAt - a.announcedAt || a.run.localeCompare(b.run))
}
