import { z } from 'zod'
import { PeerIdString, ShareMode } from '../events/bodies.ts'
import { MAX_WARM_WORKSPACES, WarmWorkspaceKey } from './warm.ts'

/** Largest presence message accepted, in bytes. */
export const MAX_PRESENCE_BYTES = 16 * 1024

const PRESENCE_MIN_INTERVAL_MS = 1000

/** Most run claims one heartbeat carries (see PresenceInfo.runs); a peer running more claims the first ones. */
export const MAX_RUN_CLAIMS = 256

/** The claim a heartbeat makes for a job id. */
export const runClaim = (jobId: string): string => jobId.slice(0, 16)

/**
 * How often a peer sends its heartbeat (ms): every quarter lease (at most once a second), whatever
 * the size of the team. That is as rare as the lease allows (three may be lost in a row before a
 * peer looks gone), since every peer receives every heartbeat and an idle node's cost is mostly
 * that. Nothing waits for a heartbeat: bids, awards and results travel as ledger events.
 */
export function presenceIntervalMs (leaseMs: number): number {
  return Math.round(Math.max(PRESENCE_MIN_INTERVAL_MS, leaseMs / 4))
}

/**
 * How often a peer sends its heartbeat while the whole team is quiet (no open job in its ledger,
 * nothing running, nothing due): every two leases. Each heartbeat costs every other peer a frame
 * in and a flow-control frame out, so in a quiet team of 20 this is most of an idle node's CPU. Nothing then rides on noticing a silent peer soon:
 * no runner holds an attempt, no coordinator has a job to hand over, no runner needs to tell
 * whether it is cut off. The first event that opens a job brings every peer back to the quarter
 * lease at once (it beats the moment it learns of it).
 */
export function quietPresenceIntervalMs (leaseMs: number): number {
  return Math.round(Math.max(PRESENCE_MIN_INTERVAL_MS, QUIET_LEASES * leaseMs))
}

/** A quiet team's heartbeats are this many leases apart. */
const QUIET_LEASES = 2

/** A peer's heartbeat lasts this many of its own announced intervals (PresenceInfo.beatMs), when that is longer than the lease. */
const BEATS_PER_WINDOW = 2.5

/**
 * How long after its last heartbeat (ms) a peer still counts as live: the lease, or two and a half
 * of the intervals it announced, whichever is longer. An announced interval counts for no more than
 * a quiet team's (the longest a peer following these rules waits), so no peer can stay live longer
 * by saying so. A peer that stops without a goodbye (a laptop put to sleep) in a quiet team thus
 * shows as live for up to five leases; one whose process ends closes its connections at once.
 */
export function liveWindowMs (info: Pick<PresenceInfo, 'beatMs'>, leaseMs: number): number {
  return Math.max(leaseMs, BEATS_PER_WINDOW * Math.min(info.beatMs ?? 0, quietPresenceIntervalMs(leaseMs)))
}

/** What a runner is doing for one attempt, for live progress in the CLI and UI. */
export const JobActivity = z.strictObject({
  job: z.string().regex(/^[0-9a-f]{64}$/),
  attempt: z.number().int().min(1).max(1000),
  phase: z.enum(['fetching', 'preparing', 'running', 'collecting', 'done']),
  /** The step running now, when `phase` is `running`. */
  step: z.string().max(200).optional(),
  /** Source bytes and objects received so far (fetching) or in all (later phases). */
  bytes: z.number().int().min(0).optional(),
  objects: z.number().int().min(0).optional()
})
export type JobActivity = z.infer<typeof JobActivity>

/** A ledger's summary in a heartbeat (see `PresenceInfo.ledger`): 16 hex digits of digest and a chain length. */
export const LedgerSummary = z.strictObject({ digest: z.string().regex(/^[0-9a-f]{16}$/), head: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) })
export type LedgerSummary = z.infer<typeof LedgerSummary>

/** A peer's heartbeat: ephemeral, sent every quarter lease on the presence topic, never in the ledger. */
export const PresenceInfo = z.strictObject({
  peer: PeerIdString,
  status: z.enum(['idle', 'busy', 'draining']),
  slots: z.number().int().min(0).max(1024),
  freeSlots: z.number().int().min(0).max(1024),
  cores: z.number().int().min(1).max(4096),
  /** 1-minute load average divided by cores. */
  load: z.number().min(0).max(1000),
  labels: z.array(z.string().max(64)).max(64),
  shareMode: ShareMode,
  userActive: z.boolean(),
  recentFailures: z.number().int().min(0).max(1000),
  /** Keys (`workspaceKey(repo, pipelineJob)`) of the incremental workspaces this peer holds, most recently used first. */
  warmWorkspaces: z.array(WarmWorkspaceKey).max(MAX_WARM_WORKSPACES),
  version: z.string().max(32),
  /** The attempts this peer runs and how far each got. */
  activity: z.array(JobActivity).max(32).optional(),
  /**
   * Claims: the jobs (first 16 hex digits of the id) whose steps this peer runs, stopping ones
   * included. A coordinator awards none of them while the claim is within lease + grace, even if
   * the award it would overtake never reached it.
   */
  runs: z.array(z.string().regex(/^[0-9a-f]{16}$/)).max(MAX_RUN_CLAIMS).optional(),
  /** The longest the sender waits before its next heartbeat (ms): a quarter lease, or a lease while the team is quiet. */
  beatMs: z.number().int().min(0).max(600_000).optional(),
  /** Set in the heartbeats of a peer's first lease after it started: peers answer with theirs, so it hears the team at once. */
  hello: z.literal(true).optional(),
  /**
   * What the sender's ledger holds, as the mesh stamps it on each heartbeat it publishes: `digest`,
   * a hash of everything a sync request from it would say (version vector, chain tips, faulty
   * authors), and `head`, the length of its own chain. A receiver whose ledger differs pulls from it.
   */
  ledger: LedgerSummary.optional(),
  /** Sender's wall clock (ms), for display. */
  time: z.number().int().min(0)
})
export type PresenceInfo = z.infer<typeof PresenceInfo>

/** Room a presence envelope takes around its info (boot, seq, signature, keys) and the ledger summary the mesh adds, in bytes. */
const ENVELOPE_ROOM_BYTES = 512

/**
 * `info` made to fit one presence message: past MAX_PRESENCE_BYTES (with room for the envelope)
 * the hints go first (warm workspaces, then each attempt's progress), so a busy peer with long
 * step names never stops sending heartbeats (and so never loses its attempts) for their size.
 */
export function fitPresence (info: PresenceInfo): PresenceInfo {
  const budget = MAX_PRESENCE_BYTES - ENVELOPE_ROOM_BYTES
  const fits = (i: PresenceInfo): boolean => Buffer.byteLength(JSON.stringify(i)) <= budget
  if (fits(info)) return info
  const lean: PresenceInfo = { ...info, warmWorkspaces: [] }
  if (fits(lean)) return lean
  const { activity: _dropped, ...bare } = lean
  return bare
}

/** What this process knows of other peers' presence, stamped on its own monotonic clock. */
export interface PresenceTable {
  /** Records a heartbeat received at local monotonic time `atMs`. Idempotent; newer wins. */
  observe(info: PresenceInfo, atMs: number): void
  /** Forgets a peer (it left cleanly). */
  forget(peer: string): void
  /** Local monotonic time (ms) of the last heartbeat from `peer`, if any. */
  lastSeen(peer: string): number | undefined
  get(peer: string): PresenceInfo | undefined
  /** Whether `peer`'s last heartbeat is within its live window (`liveWindowMs`, at least `leaseMs`) at `nowMs`. */
  isLive(peer: string, nowMs: number, leaseMs: number): boolean
  /** Peers heard from within their live window (as `isLive`) before `nowMs`, sorted by peer id. */
  live(nowMs: number, leaseMs: number): PresenceInfo[]
}

/** Most peers a presence table holds, by default. */
export const MAX_PRESENCE_PEERS = 4096

/** Options of `createPresenceTable`. */
export interface PresenceTableInit {
  /** Most peers held (default MAX_PRESENCE_PEERS). */
  maxPeers?: number
  /** A peer heard within this long (ms) is never pushed out for a newcomer (default 600 s, the longest lease). */
  keepLiveMs?: number
  /**
   * Peers the ledger knows (authors of events): when the table is full, one of them pushes out the
   * longest silent peer the ledger does not know, live or not, so a flood of throwaway identities
   * cannot lock the team's own peers out.
   */
  known?: (peer: string) => boolean
}

const liveWithin = (seen: { info: PresenceInfo, at: number }, nowMs: number, leaseMs: number): boolean => nowMs - seen.at <= liveWindowMs(seen.info, leaseMs)

/**
 * A presence table holding at most `maxPeers` peers, so heartbeats from throwaway identities cannot
 * grow it without bound. When it is full, a newcomer pushes out the longest silent peer only if that
 * one has been silent for `keepLiveMs`, or (for a newcomer the ledger knows) the longest silent peer
 * it does not know; otherwise the newcomer is not recorded. A flood of new identities can push out
 * neither live peers nor, later, lock out the team's own.
 */
export function createPresenceTable (init: PresenceTableInit = {}): PresenceTable {
  const maxPeers = init.maxPeers ?? MAX_PRESENCE_PEERS
  const keepLiveMs = init.keepLiveMs ?? 600_000
  const seen = new Map<string, { info: PresenceInfo, at: number }>()
  const known = init.known ?? (() => false)
  /** The longest silent peer, among those `eligible`. */
  const stalest = (eligible: (peer: string) => boolean): { peer: string, at: number } | undefined => {
    let found: { peer: string, at: number } | undefined
    for (const [peer, entry] of seen) if (eligible(peer) && (found === undefined || entry.at < found.at)) found = { peer, at: entry.at }
    return found
  }
  const makeRoom = (newcomer: string, nowMs: number): boolean => {
    const quiet = stalest(() => true)
    const victim = quiet !== undefined && nowMs - quiet.at >= keepLiveMs ? quiet : known(newcomer) ? stalest((p) => !known(p)) : undefined
    if (victim === undefined) return false
    seen.delete(victim.peer)
    return true
  }
  return {
    observe (info, atMs) {
      const prev = seen.get(info.peer)
      if (prev !== undefined && prev.at > atMs) return
      if (prev === undefined && seen.size >= maxPeers && !makeRoom(info.peer, atMs)) return
      seen.set(info.peer, { info, at: atMs })
    },
    forget (peer) { seen.delete(peer) },
    lastSeen: (peer) => seen.get(peer)?.at,
    get: (peer) => seen.get(peer)?.info,
    isLive (peer, nowMs, leaseMs) {
      const entry = seen.get(peer)
      return entry !== undefined && liveWithin(entry, nowMs, leaseMs)
    },
    live (nowMs, leaseMs) {
      const out: PresenceInfo[] = []
      for (const entry of seen.values()) if (liveWithin(entry, nowMs, leaseMs)) out.push(entry.info)
      return out.sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
    }
  }
}
