/**
 * Which run claims in heartbeats to honour. A claim keeps coordinators from awarding, and runners
 * from starting, a job another peer says it runs (an award from the other side of a healed split
 * may not have arrived yet). Presence is outside the ledger, so a claim alone proves nothing: it is
 * honoured when the ledger names the claimer as runner of an attempt of that job, and otherwise only
 * for `lease + grace` from when this peer first saw it, so no member can hold a job by claiming it.
 * Either way only while the claimer was heard within `lease + grace`.
 */
import type { LedgerView } from './ports.ts'
import { runClaim, type PresenceTable } from './presence.ts'

/** Local monotonic ms each `peer claim` was first seen; kept by the scheduler across passes. */
export type ClaimMemory = Map<string, number>

const CLAIMS_REMEMBERED = 20_000

/** The claims of open jobs to honour now, from every live peer but `self`. */
export function honouredClaims (table: PresenceTable, view: LedgerView, c: { nowMs: number, withinMs: number, self: string }, seen: ClaimMemory): Set<string> {
  // Built only when some heartbeat claims a run: most passes of an idle grid see none.
  let open: Map<string, readonly string[]> | undefined
  const runnersOf = (claim: string): readonly string[] | undefined => {
    if (open === undefined) {
      open = new Map()
      for (const job of view.openJobs()) open.set(runClaim(job.id), job.attempts.map((a) => a.runner))
    }
    return open.get(claim)
  }
  if (seen.size > CLAIMS_REMEMBERED) seen.clear()
  const out = new Set<string>()
  for (const info of table.live(c.nowMs, c.withinMs)) {
    // Heard within lease + grace itself: a peer that runs something beats every quarter lease,
    // so a claim must not last longer because its heartbeat announced a quiet team's interval.
    if (info.peer === c.self || c.nowMs - (table.lastSeen(info.peer) ?? -Infinity) > c.withinMs) continue
    for (const claim of info.runs ?? []) {
      const runners = runnersOf(claim)
      if (runners === undefined) continue
      const k = `${info.peer} ${claim}`
      let first = seen.get(k)
      if (first === undefined) seen.set(k, first = c.nowMs)
      if (runners.includes(info.peer) || c.nowMs - first <= c.withinMs) out.add(claim)
    }
  }
  return out
}
