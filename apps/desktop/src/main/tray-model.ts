/**
 * The tray icon's state and tooltip, from what the node says: pure functions of one snapshot.
 */
import type { RunLine, StatusView } from '../renderer/api/types.ts'
import { FINAL_RUN_STATES } from './own-runs.ts'

/** One icon per state. */
export type TrayState = 'idle' | 'building' | 'failed' | 'offline'
export const TRAY_STATES: readonly TrayState[] = ['idle', 'building', 'failed', 'offline']

/** What the tray shows, from the node's views; `status` undefined while the node does not answer. */
export interface TraySnapshot {
  status: StatusView | undefined
  /** Your runs, newest first (own-runs.ts). */
  myRuns: readonly RunLine[]
}

/** Peers online and busy, and the queue's length. */
export interface GridSummary { online: number, busy: number, queued: number }

/** Counts this peer (`status.peer`) with the others (`status.peers`). */
export function gridSummary (status: StatusView): GridSummary {
  const online = [status.peer, ...status.peers.filter((p) => !p.self)].filter((p) => p.state !== 'offline')
  return { online: online.length, busy: online.filter((p) => p.state === 'busy').length, queued: status.queue.length + status.waiting }
}

const ACTIVE_RUN_STATES: ReadonlySet<string> = new Set(['waiting', 'queued', 'running'])

/**
 * `offline` when the node does not answer; `building` while this machine runs a job or one of your
 * runs is under way; `failed` when your latest finished run failed; else `idle`.
 */
export function trayState (s: TraySnapshot): TrayState {
  if (s.status === undefined) return 'offline'
  if (s.status.peer.jobs.length > 0 || s.myRuns.some((r) => ACTIVE_RUN_STATES.has(r.status))) return 'building'
  const latest = s.myRuns.find((r) => FINAL_RUN_STATES.has(r.status))
  return latest?.status === 'failed' ? 'failed' : 'idle'
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/** One line per fact, as tray tooltips show them. */
export function trayTooltip (s: TraySnapshot): string {
  if (s.status === undefined) return 'DevQ: the node does not answer'
  const g = gridSummary(s.status)
  const lines = [`DevQ: ${s.status.team.name}`, `${plural(g.online, 'peer')} online, ${g.busy} busy, ${plural(g.queued, 'job')} queued`]
  const running = s.status.peer.jobs.length
  if (running > 0) lines.push(`building ${plural(running, 'job')} here`)
  const active = s.myRuns.filter((r) => ACTIVE_RUN_STATES.has(r.status)).length
  if (active > 0) lines.push(`${plural(active, 'build')} of yours under way`)
  const latest = s.myRuns.find((r) => FINAL_RUN_STATES.has(r.status))
  if (latest !== undefined) lines.push(`your last build ${runStatusText(latest)}`)
  return lines.join('\n')
}

/** A run's status as a menu or tooltip says it. */
export function runStatusText (run: Pick<RunLine, 'status' | 'jobs'>): string {
  switch (run.status) {
    case 'succeeded': return 'passed'
    case 'running': return `running (${run.jobs.succeeded + run.jobs.failed + run.jobs.cancelled + run.jobs.skipped}/${run.jobs.total} done)`
    case 'waiting':
    case 'queued': return 'queued'
    default: return run.status
  }
}
