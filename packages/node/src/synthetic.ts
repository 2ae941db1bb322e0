import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AttemptReport, JobExecutor, JobState } from '@devq/core'

/** Largest output a synthetic job may ask for, in bytes (the announce schema caps it too). */
const OUTPUT_CHUNK = 64 * 1024

/**
 * Runs synthetic jobs: sleeps for the job's duration, writes its requested number of output bytes
 * to a log whose sha256 is the attempt's log digest, and exits with its exit code. A first-class job
 * kind for load tests and chaos runs. Stops at once when the attempt is revoked.
 */
export function createSyntheticExecutor (): JobExecutor {
  return {
    async run (job: JobState, attempt: number, signal: AbortSignal, started?: Promise<void>): Promise<AttemptReport> {
      const spec = job.synthetic
      if (spec === undefined) {
        return { status: 'failed', exitCode: null, failure: 'runner_error', artifacts: [], logDigest: null }
      }
      try {
        await started
        await sleep(spec.durationMs, undefined, { signal })
      } catch {
        return { status: 'cancelled', exitCode: null, artifacts: [], logDigest: null }
      }
      const log = createHash('sha256').update(`synthetic job ${job.id} attempt ${attempt}\n`)
      const chunk = Buffer.alloc(Math.min(OUTPUT_CHUNK, spec.outputBytes), 0x2e)
      for (let left = spec.outputBytes; left > 0; left -= chunk.length) log.update(left >= chunk.length ? chunk : chunk.subarray(0, left))
      const logDigest = `sha256:${log.digest('hex')}`
      if (spec.exitCode === 0) return { status: 'succeeded', exitCode: 0, artifacts: [], logDigest }
      return { status: 'failed', exitCode: spec.exitCode, failure: 'exit_code', artifacts: [], logDigest }
    }
  }
}
