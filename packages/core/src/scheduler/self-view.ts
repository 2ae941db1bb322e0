/**
 * This peer as the other peers know it. They rank runners by the heartbeats they heard, so this
 * peer ranks itself by the last one it sent, and sends a new one as soon as that one would lead
 * them astray in a way the ledger does not show (it stopped or started lending). Pure.
 */
import type { ShareMode } from '../events/bodies.ts'
import type { PresenceInfo } from './presence.ts'

/**
 * Whether a peer lent this way takes new work now: not when `off`, and in `idle` mode only while
 * nobody uses the machine. Attempts it already runs go on either way.
 */
export function lends (mode: ShareMode, userActive: boolean): boolean {
  return mode === 'dedicated' || mode === 'shared' || (mode === 'idle' && !userActive)
}

/**
 * `now` with the scores `sent` gave (load, warm workspaces, recent failures), its slots and modes
 * as they are. Ranked on the same figures, all peers give a job to the same runner, so it is
 * neither left to a runner each thinks the other will bid nor bid for twice.
 */
export function asOthersSee (now: PresenceInfo, sent: PresenceInfo | undefined): PresenceInfo {
  if (sent === undefined) return now
  return { ...now, load: sent.load, warmWorkspaces: sent.warmWorkspaces, recentFailures: sent.recentFailures }
}

/**
 * Whether `now` lends, scores or drains otherwise than `sent` says in a way the ledger does not
 * show (share mode, user at the machine, draining, slots or labels its owner changed): then a
 * heartbeat is due. The user's presence counts even where it does not stop lending, since a
 * `shared` peer scores lower while used.
 */
export function lendingChanged (now: PresenceInfo, sent: PresenceInfo | undefined): boolean {
  if (sent === undefined) return false
  return sent.shareMode !== now.shareMode || sent.userActive !== now.userActive || (sent.status === 'draining') !== (now.status === 'draining') ||
    sent.slots !== now.slots || !sameLabels(sent.labels, now.labels)
}

function sameLabels (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i])
}
