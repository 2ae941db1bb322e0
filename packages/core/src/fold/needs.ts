/**
 * `needs` between the jobs of one run. A job's `needs` name pipeline jobs of the same run; each
 * resolves to the announce of that pipeline job by the same origin with a lower seq (the earliest
 * by the conflict order if there are several). Needs therefore always point back along one
 * author's chain: the graph has no cycles, and a peer that holds a job holds what it needs.
 */
import type { DecodedEvent, LedgerEventOf } from '../events/envelope.ts'
import { compareKeys, keyOf, type OrderKey } from './order.ts'
import type { JobStatus, NeedState } from './types.ts'

/** Where a job's needs stand, as a step in its replay at `key` (the need that settled it). */
export type NeedsGate =
  | { kind: 'waiting' }
  | { kind: 'ready', key: OrderKey, at: number }
  | { kind: 'skipped', key: OrderKey, at: number, because: string }

/** The status a job settled in, and the order key and event time of the step that settled it. */
export interface Settled {
  status: JobStatus
  key: OrderKey
  at: number
}

type Announce = DecodedEvent & { event: LedgerEventOf<'job.announced'> }

const runKeyOf = (author: string, run: string): string => `${author}\u0000${run}`

/** The announces of every run, by origin and run id. */
export class RunIndex {
  private readonly runs = new Map<string, Announce[]>()

  /** Records an announce; returns its run key if it belongs to a run. */
  add (e: DecodedEvent): string | undefined {
    if (e.event.type !== 'job.announced' || e.event.body.run === undefined) return undefined
    const key = runKeyOf(e.event.author, e.event.body.run)
    let list = this.runs.get(key)
    if (list === undefined) this.runs.set(key, list = [])
    list.push(e as Announce)
    return key
  }

  /** Job ids of every announce of a run. */
  jobsOf (runKey: string): string[] {
    return (this.runs.get(runKey) ?? []).map((e) => e.id)
  }

  /** Resolves the needs of one announce against the announces of its run known so far. */
  resolve (e: DecodedEvent): NeedState[] {
    if (e.event.type !== 'job.announced') return []
    const { needs, run } = e.event.body
    if (needs === undefined || needs.length === 0) return []
    const peers = run === undefined ? [] : this.runs.get(runKeyOf(e.event.author, run)) ?? []
    return needs.map((pipelineJob) => {
      let best: Announce | undefined
      for (const other of peers) {
        if (other.event.body.pipelineJob !== pipelineJob || other.event.seq >= e.event.seq) continue
        if (best === undefined || compareKeys(keyOf(other), keyOf(best)) < 0) best = other
      }
      return best === undefined ? { pipelineJob } : { pipelineJob, job: best.id }
    })
  }
}

const succeeded = (status: JobStatus): boolean => status === 'succeeded' || status === 'cached'
const ended = (status: JobStatus): boolean =>
  status === 'failed' || status === 'cancelled' || status === 'superseded' || status === 'skipped'

/**
 * The gate of a job from the states of the jobs it needs: ready once all succeeded (at the last of
 * them to settle), skipped once one ended otherwise (at the first such), else waiting. A need that
 * names no earlier job of the run can never be met, so it skips the job at its own announce.
 */
export function gateOf (needs: readonly NeedState[], settledOf: (job: string) => Settled | undefined, start: OrderKey, startAt: number): NeedsGate {
  let ready: { key: OrderKey, at: number } | undefined
  let skipped: Extract<NeedsGate, { kind: 'skipped' }> | undefined
  let waiting = false
  for (const need of needs) {
    if (need.job === undefined) return { kind: 'skipped', key: start, at: startAt, because: `needs ${need.pipelineJob}, which is not an earlier job of this run` }
    const s = settledOf(need.job)
    if (s === undefined) {
      waiting = true
    } else if (ended(s.status)) {
      if (skipped === undefined || compareKeys(s.key, skipped.key) < 0) skipped = { kind: 'skipped', key: s.key, at: s.at, because: `needs ${need.pipelineJob}, which was ${s.status}` }
    } else if (succeeded(s.status)) {
      if (ready === undefined || compareKeys(s.key, ready.key) > 0) ready = { key: s.key, at: s.at }
    } else {
      waiting = true
    }
  }
  if (skipped !== undefined) return skipped
  if (waiting || ready === undefined) return { kind: 'waiting' }
  return { kind: 'ready', ...ready }
}
