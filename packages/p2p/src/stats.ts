/** The mesh's counters since `start` (not persisted). One module owns them; others call `bump`. */

/** Reason -> count. Only reasons that happened appear. */
export type ReasonCounts = Record<string, number>

/** Counters of one direct stream protocol (`handleStream` / `openStream`), by its name. */
export interface StreamCounts {
  /** Streams this peer opened to others. */
  opened: number
  /** Incoming streams handed to the handler. */
  served: number
  /** Incoming streams reset before the handler, by reason (`not_member`, `blocked`, `stopped`). */
  refused: ReasonCounts
  /** Incoming streams reset by the per-peer token bucket. */
  rateLimited: number
  /** Handlers that threw or rejected (their stream was aborted). */
  failed: number
  /** Bytes received and sent on this protocol's streams with other peers, both roles. */
  bytesIn: number
  bytesOut: number
}

/** Gossip messages of one topic: received (before faults and rate limits) and published. */
export interface TopicCounts {
  in: number
  out: number
}

/** A snapshot of the mesh counters. */
export interface MeshStats {
  gossip: {
    /** Messages received on our topics (before faults and rate limits). */
    in: number
    /** Messages this peer published (both topics). */
    out: number
    /** Ledger messages this peer published (a bundle counts once), and the own events they carried. */
    ledgerOut: number
    eventsOut: number
    /** Messages the validators accepted (delivered and forwarded). */
    accepted: number
    /** `in` and `out` by topic. */
    topics: { ledger: TopicCounts, presence: TopicCounts }
  }
  /**
   * Input refused as invalid (bad signature, schema, size, membership...), by where it came from
   * and why. Gossip rejections also lower the sender's gossipsub score. `sync` holds the ledger's
   * reasons for synced events, requests this peer refused (`not_member`, `bad_request`) and
   * answers that broke the protocol (`bad_answer`).
   */
  rejected: { ledger: ReasonCounts, presence: ReasonCounts, sync: ReasonCounts }
  /** Input not taken but not held against the sender (duplicate, gap, stale, rate_limited, fault_drop...). */
  ignored: { ledger: ReasonCounts, presence: ReasonCounts }
  /** Requests dropped by the per-peer token buckets. */
  rateLimited: { gossip: number, sync: number, peers: number }
  /** Peer exchange: answers given, and peers learned (not connected before) from answers. */
  discovery: { served: number, learned: number }
  syncs: {
    /** Sync runs this peer started as a dialer. */
    started: number
    /** Request-answer rounds of those runs (a run repeats while answers are full). */
    rounds: number
    succeeded: number
    failed: number
    /** Sync requests this peer answered. */
    served: number
    /** Sync requests refused (rate limit, membership, malformed request). */
    refused: number
    eventsReceived: number
    eventsAccepted: number
    eventsServed: number
  }
  /** Direct stream protocols, by name. */
  streams: Record<string, StreamCounts>
  /** Injected faults on incoming gossip (tests only). */
  faults: { dropped: number, duplicated: number, delayed: number }
}

/** A fresh, zeroed stats object. */
export function emptyStats (): MeshStats {
  return {
    gossip: { in: 0, out: 0, ledgerOut: 0, eventsOut: 0, accepted: 0, topics: { ledger: { in: 0, out: 0 }, presence: { in: 0, out: 0 } } },
    rejected: { ledger: {}, presence: {}, sync: {} },
    ignored: { ledger: {}, presence: {} },
    rateLimited: { gossip: 0, sync: 0, peers: 0 },
    discovery: { served: 0, learned: 0 },
    syncs: { started: 0, rounds: 0, succeeded: 0, failed: 0, served: 0, refused: 0, eventsReceived: 0, eventsAccepted: 0, eventsServed: 0 },
    streams: {},
    faults: { dropped: 0, duplicated: 0, delayed: 0 }
  }
}

/** The counters of direct stream protocol `name`, created at zero on first use. */
export function streamCounts (stats: MeshStats, name: string): StreamCounts {
  stats.streams[name] ??= { opened: 0, served: 0, refused: {}, rateLimited: 0, failed: 0, bytesIn: 0, bytesOut: 0 }
  return stats.streams[name]
}

/** Adds `n` to `counts[reason]`. */
export function bump (counts: ReasonCounts, reason: string, n = 1): void {
  counts[reason] = (counts[reason] ?? 0) + n
}
