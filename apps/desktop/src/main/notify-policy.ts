/**
 * Which finished runs become a desktop notification: yours only (own-runs.ts), one per end of a
 * run (a retried run that ends again earns another), none for runs that had ended before the app
 * started, whatever the event stream replays or how often it reconnects. Clicking one opens the run, or for a failure its first failed job.
 */
import type { Logger } from '@devq/core'
import type { RunDetail, RunLine } from '../renderer/api/types.ts'
import { FINAL_RUN_STATES, isOwnRun, type Me } from './own-runs.ts'

/** A notification to show. */
export interface Notice {
  run: string
  title: string
  body: string
  /** The route a click opens (`#/jobs/<id>` or `#/runs/<run>`). */
  hash: string
}

/** What the policy is told of a run: a stream's `run.changed` summary or a runs-view line. */
export type RunSeen = Pick<RunLine, 'run' | 'origin' | 'status'>

export interface NotificationPolicy {
  /**
   * The runs view when the app starts: runs that had ended by then are never announced. Until it
   * is called, observed runs are only remembered. Call once.
   */
  baseline(runs: readonly RunSeen[]): void
  /** A run as it is now; resolves with the one notice it earns, the first time it is seen ended. */
  observe(run: RunSeen): Promise<Notice | undefined>
}

export interface PolicyComponents {
  /** The run's detail (`GET /v1/views/runs/:run`): author, subject and jobs. */
  detail: (run: string) => Promise<RunDetail>
  logger: Logger
}

const TITLES: Record<string, string> = { succeeded: 'Build passed', failed: 'Build failed', cancelled: 'Build cancelled' }

/** The notice of an ended run of yours. */
export function noticeOf (detail: RunDetail): Notice {
  const { run } = detail
  const failed = run.status === 'failed' ? detail.jobs.find((j) => j.status === 'failed') : undefined
  const what = run.subject ?? run.commit.slice(0, 8)
  const where = `${run.repoName ?? run.repo.slice(0, 8)} ${run.ref.replace(/^refs\/heads\//, '')}`
  return {
    run: run.run,
    title: `${TITLES[run.status] ?? run.status}: ${where}`,
    body: failed === undefined ? what : `${failed.pipelineJob} failed: ${what}`,
    hash: failed === undefined ? `#/runs/${encodeURIComponent(run.run)}` : `#/jobs/${encodeURIComponent(failed.id)}`
  }
}

export function createNotificationPolicy (components: PolicyComponents, init: { me: Me }): NotificationPolicy {
  const log = components.logger.child({ component: 'notify' })
  const seen = new Set<string>()
  let started = false
  return {
    baseline (runs) {
      for (const r of runs) if (FINAL_RUN_STATES.has(r.status)) seen.add(r.run)
      started = true
    },
    async observe (r) {
      // A run seen going again was retried (from here or by a teammate): its next end counts.
      if (!FINAL_RUN_STATES.has(r.status)) {
        if (started) seen.delete(r.run)
        return undefined
      }
      if (seen.has(r.run)) return undefined
      // Marked before the lookup, so a second sighting while it runs cannot announce it twice.
      seen.add(r.run)
      if (!started) return undefined
      // Another peer's run is yours only by its commit's author: without a git user name, never.
      if (r.origin !== init.me.peerId && (init.me.authorName ?? '').trim() === '') return undefined
      let detail: RunDetail
      try {
        detail = await components.detail(r.run)
      } catch (err) {
        log.warn({ err, run: r.run }, 'no detail for an ended run: not announced')
        return undefined
      }
      // Retried since: it earns its notice when it ends again.
      if (!FINAL_RUN_STATES.has(detail.run.status)) { seen.delete(r.run); return undefined }
      if (!isOwnRun(detail.run, init.me)) return undefined
      return noticeOf(detail)
    }
  }
}
