import type { DecodedEvent } from '../events/envelope.ts'
import { compareKeys, keyOf } from './order.ts'
import type { GroupSignal } from './job-fold.ts'

/**
 * The key of a concurrency group: group names are scoped per repo and per origin, so a newer commit
 * replaces only its own origin's older jobs; another member's run never cancels yours (DESIGN.md:
 * only a job's origin, or an admin, may cancel it).
 */
export function groupKeyOf (repo: string, origin: string, name: string): string {
  return `${repo}\u0000${origin}\u0000${name}`
}

interface GroupEntry {
  announce: DecodedEvent
  cancelInProgress: boolean
}

/**
 * Concurrency groups (scoped per repo and origin) and the signals each job gets from newer jobs of its group:
 * the first newer job (supersede, or cancel when it has cancel-in-progress) and the first newer job
 * with cancel-in-progress. Later newer jobs add nothing a job's replay does not already know.
 */
export class GroupIndex {
  private readonly groups = new Map<string, GroupEntry[]>()
  private readonly signals = new Map<string, GroupSignal[]>()
  /** Per group, the lowest position an announce was inserted at since its last resignal. */
  private readonly dirtyFrom = new Map<string, number>()

  /** Records an announce in order (binary insertion); returns its group key if it has a group. */
  add (e: DecodedEvent): string | undefined {
    if (e.event.type !== 'job.announced' || e.event.body.group === undefined) return undefined
    const key = groupKeyOf(e.event.body.repo, e.event.author, e.event.body.group.name)
    const entries = this.groups.get(key) ?? []
    const at = insertionPoint(entries, keyOf(e))
    entries.splice(at, 0, { announce: e, cancelInProgress: e.event.body.group.cancelInProgress })
    this.groups.set(key, entries)
    this.dirtyFrom.set(key, Math.min(this.dirtyFrom.get(key) ?? at, at))
    return key
  }

  signalsOf (jobId: string): readonly GroupSignal[] {
    return this.signals.get(jobId) ?? []
  }

  /**
   * Recomputes the signals of the jobs of a group from its newest down; returns the jobs whose
   * signals changed. Below the lowest insertion since the last call, the first job whose signals
   * stay the same ends the walk: what older jobs get is carried down unchanged from there, so a
   * new commit at the top of a long-lived group costs a step or two, not the whole group.
   */
  resignal (groupKey: string): string[] {
    const changed: string[] = []
    const entries = this.groups.get(groupKey) ?? []
    const from = this.dirtyFrom.get(groupKey) ?? 0
    this.dirtyFrom.delete(groupKey)
    let firstNewer: GroupSignal | undefined
    let firstCancel: GroupSignal | undefined
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!
      const next: GroupSignal[] = []
      if (firstNewer !== undefined) next.push(firstNewer)
      if (firstCancel !== undefined && firstCancel !== firstNewer) next.push(firstCancel)
      const prev = this.signals.get(entry.announce.id) ?? []
      if (prev.length !== next.length || prev.some((p, k) => p.by !== next[k]!.by || p.kind !== next[k]!.kind)) {
        this.signals.set(entry.announce.id, next)
        changed.push(entry.announce.id)
      } else if (i < from) {
        break
      }
      firstNewer = { key: keyOf(entry.announce), at: entry.announce.event.time, by: entry.announce.id, kind: entry.cancelInProgress ? 'cancel' : 'supersede' }
      if (entry.cancelInProgress) firstCancel = firstNewer
    }
    return changed
  }
}

/** Where an announce of order key `key` goes among `entries` (sorted by key). */
function insertionPoint (entries: readonly GroupEntry[], key: ReturnType<typeof keyOf>): number {
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareKeys(keyOf(entries[mid]!.announce), key) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}
