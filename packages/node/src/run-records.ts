import { appendFileSync, renameSync, statSync } from 'node:fs'
import type { AttemptReport, JobExecutor, JobState, Logger } from '@devq/core'
import { dataPath } from './paths.ts'

/** Where a node records the runs of its attempts: one JSON object a line. */
export const runRecordsPath = (dataDir: string): string => dataPath(dataDir, 'runRecords')

/** Past this size (bytes) the record file moves to `runs.jsonl.1` (replacing it) and starts anew. */
export const RUN_RECORDS_MAX_BYTES = 4 * 1024 * 1024

/**
 * One line of the run records. `start` is written as the attempt's work begins, `end` once its
 * steps have ended (stopped or not). Times are host milliseconds: `performance.timeOrigin +
 * performance.now()`, monotonic within the process and comparable across processes on one machine.
 */
export type RunRecord =
  | { event: 'start', job: string, attempt: number, peer: string, atMs: number }
  | { event: 'end', job: string, attempt: number, peer: string, atMs: number, status: AttemptReport['status'] }

const hostMs = (): number => performance.timeOrigin + performance.now()

/**
 * Wraps `executor` so that each run of an attempt is recorded on this runner's own clock: what it
 * did, whatever the ledger later says. Lines are appended synchronously (a few µs each) so that a
 * record is on disk before the work it reports on starts, and survives a kill right after.
 */
export function recordRuns (executor: JobExecutor, init: { dataDir: string, peerId: string, logger: Logger }): JobExecutor {
  const path = runRecordsPath(init.dataDir)
  const write = (record: RunRecord): void => {
    try {
      if ((statSync(path, { throwIfNoEntry: false })?.size ?? 0) > RUN_RECORDS_MAX_BYTES) renameSync(path, `${path}.1`)
      appendFileSync(path, JSON.stringify(record) + '\n', { mode: 0o600 })
    } catch (err) {
      init.logger.warn({ err, job_id: record.job }, 'run record not written')
    }
  }
  return {
    ...(executor.prefetch === undefined ? {} : { prefetch: (job: JobState) => { executor.prefetch!(job) } }),
    async run (job, attempt, signal, started) {
      write({ event: 'start', job: job.id, attempt, peer: init.peerId, atMs: hostMs() })
      let status: AttemptReport['status'] = 'failed'
      try {
        const report = await executor.run(job, attempt, signal, started)
        status = report.status
        return report
      } finally {
        write({ event: 'end', job: job.id, attempt, peer: init.peerId, atMs: hostMs(), status })
      }
    }
  }
}
