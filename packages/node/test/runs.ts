/** What runners did, read from their own run records (runs.jsonl in each data dir), not from the ledger. */
import { readFile } from 'node:fs/promises'
import { expect } from 'vitest'
import { overlappingRuns } from '@devq/core/sim'
import { runRecordsPath, type RunRecord } from '../src/index.ts'

/** One run of an attempt as its runner recorded it; `endMs` is missing while it runs (or if it was killed). */
export interface Run {
  job: string
  attempt: number
  peer: string
  startMs: number
  endMs?: number
  status?: string
}

/** The runs recorded in the data dirs `dirs` (a missing file is no runs). */
export async function readRuns (dirs: readonly string[]): Promise<Run[]> {
  const runs: Run[] = []
  for (const dir of dirs) {
    const text = await readFile(runRecordsPath(dir), 'utf8').catch(() => '')
    const open = new Map<string, Run>()
    for (const line of text.split('\n')) {
      if (line === '') continue
      const r = JSON.parse(line) as RunRecord
      const key = `${r.job}:${r.attempt}`
      if (r.event === 'start') {
        const run: Run = { job: r.job, attempt: r.attempt, peer: r.peer, startMs: r.atMs }
        open.set(key, run)
        runs.push(run)
      } else {
        const run = open.get(key)
        if (run !== undefined) Object.assign(run, { endMs: r.atMs, status: r.status })
      }
    }
  }
  return runs
}

/** Pairs of runs of one job under way at the same time (a run without an end lasts until `nowMs`). */
export function overlapping (runs: readonly Run[], nowMs = performance.timeOrigin + performance.now()): [Run, Run][] {
  return overlappingRuns(runs, nowMs)
}

/** Runs that ran to their end (succeeded or failed), per job. */
export function completions (runs: readonly Run[]): Map<string, Run[]> {
  const out = new Map<string, Run[]>()
  for (const r of runs) if (r.status === 'succeeded' || r.status === 'failed') out.set(r.job, [...(out.get(r.job) ?? []), r])
  return out
}

/** A job as the ledger shows it, as far as these checks need. */
interface LedgerJob { id: string, status: string, result?: { by: string, attempt: number } }

/**
 * Each of `jobs` ran to its end exactly once, on the runner and in the attempt the ledger's result
 * names, and no two runs of any job overlapped in time.
 */
export function expectRanOnce (runs: readonly Run[], jobs: readonly LedgerJob[]): void {
  expect(overlapping(runs).map(([a, b]) => `${a.job.slice(0, 8)} ${a.peer.slice(-6)}#${a.attempt} ${b.peer.slice(-6)}#${b.attempt}`)).toEqual([])
  const done = completions(runs)
  for (const job of jobs) {
    const ran = (done.get(job.id) ?? []).map((r) => `${r.peer}#${r.attempt}`)
    expect(ran, `${job.id} (${job.status})`).toEqual([`${job.result?.by}#${job.result?.attempt}`])
  }
}
