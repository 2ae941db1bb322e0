import type { BodyOf, EventType } from '../events/bodies.ts'
import type { DecodedEvent, RejectReason } from '../events/envelope.ts'
import type { Fold } from '../fold/fold.ts'
import type { JobChange, JobStatus } from '../fold/types.ts'
import type { Clock, Logger, Signer, Verifier } from '../ports.ts'
import type { OpenDatabase } from './store.ts'

/** The services a ledger needs. The ledger owns none of them: it never closes the verifier. */
export interface LedgerComponents {
  /** A fresh, empty fold; `open()` feeds it every stored event. One fold per ledger instance. */
  fold: Fold
  verifier: Verifier
  clock: Clock
  logger: Logger
  /** The database port; default LevelDB on disk (classic-level). Any abstract-level database fits. */
  openDatabase?: OpenDatabase
}

/** Options of a ledger. */
export interface LedgerInit {
  /** Directory of the LevelDB store; created if missing. */
  path: string
  /** Team membership check; events by authors it refuses are rejected as `not_member`. Absent: everyone is accepted. */
  isMember?: (peerId: string) => boolean
  /** Move an existing store aside (`<path>.corrupt-<time>`) and start empty; peers refill it by sync. */
  rebuild?: boolean
  /**
   * Asked before each `append` with the signer and its chain's head seq here; a string refuses the
   * append with that reason. A peer that lost its store uses it to wait for its own chain to come
   * back by sync, since writing seq 1 again would make it an equivocator.
   */
  mayAppend?: (peerId: string, headSeq: number) => string | undefined
}

/** One event the ledger did not take, and why. Fields are absent when the input was too broken to tell. */
export interface Rejection {
  id?: string
  author?: string
  seq?: number
  reason: RejectReason
  detail: string
}

/** An author seen signing two different events at one seq. */
export interface Equivocation {
  author: string
  seq: number
}

/** What one `ingest` did. */
export interface IngestResult {
  /** Newly stored events, per author in seq order, in the order they were handed to the fold. */
  accepted: DecodedEvent[]
  /** Inputs already known (stored, kept as evidence, or repeated within the batch). */
  duplicates: number
  rejected: Rejection[]
  /** Equivocations found in this batch; their second versions are stored as evidence. */
  equivocations: Equivocation[]
}

/** Counters since `open()` (not persisted). */
export interface LedgerStats {
  accepted: number
  duplicates: number
  equivocations: number
  rejected: Record<RejectReason, number>
}

/** Caps on one `missingFor` answer. */
export interface MissingLimits {
  /** Most events returned. */
  maxEvents: number
  /** Most total encoded bytes returned (at least one event is returned if any is missing). */
  maxBytes: number
}

/** Hex characters of a head id a peer sends as its tip: enough to tell two forks apart. */
export const TIP_CHARS = 16

/** What the asking peer says it holds besides its version vector. Values from the network: checked where used. */
export interface PeerKnowledge {
  /** Its faulty authors (author -> fork seq), so it is sent the evidence it lacks. */
  faulty?: Readonly<Record<string, unknown>>
  /** See `Ledger.tips`: so a fork it holds, or a lower fork of a faulty author, shows. */
  tips?: Readonly<Record<string, unknown>>
}

/** Called after each committed batch with its new events and the job status changes they caused. */
export type AcceptedListener = (events: readonly DecodedEvent[], changes: readonly JobChange[]) => void

/**
 * The signed event ledger of one peer: a LevelDB store of every author's hash chain plus the fold
 * of those events. `ingest` and `append` are serialized through one internal queue, so concurrent
 * calls are safe and commit one after another; the read methods do not wait for that queue.
 * Methods other than `open`, `close`, `onAccepted` and `stats` throw `LedgerClosedError` when the
 * ledger is not open. A failed write closes the ledger (its fold would be ahead of the disk) and
 * throws `LedgerWriteError`; open a new ledger with a fresh fold to continue.
 */
export interface Ledger {
  /**
   * Opens the store and rebuilds heads, lamport and the fold from disk (chains are checked,
   * signatures are not: they were on ingest). Throws LedgerCorruptError, LedgerLockedError.
   * A ledger opens once: after `close` (or a failed open), create a new one with a fresh fold.
   */
  open(): Promise<void>
  /** Waits for queued ingests, then closes the store. Idempotent. */
  close(): Promise<void>
  /**
   * Takes events from the network (encoded bytes or already decoded). Idempotent: known events count
   * as duplicates. Never throws for bad input, only for a closed ledger or a failed write. All that
   * it accepts is committed in one atomic LevelDB batch, without fsync: it survives a crash of this
   * process, and what a power cut loses, peers send again by sync.
   */
  ingest(input: readonly (Uint8Array | DecodedEvent)[]): Promise<IngestResult>
  /**
   * Creates, signs and commits this peer's next event (seq = head + 1, lamport = max seen + 1).
   * Written with fsync, since losing it after gossip would make this peer equivocate on restart.
   * Throws `LedgerAppendError` if the ledger refuses it and `EventEncodeError` for an invalid body.
   */
  append<T extends EventType>(signer: Signer, type: T, body: BodyOf<T>): Promise<DecodedEvent>
  /** Author -> highest contiguous seq held. */
  versionVector(): Record<string, number>
  /**
   * Encoded events a peer with version vector `vv` lacks, per author in ascending seq, capped by
   * `limits`, with the equivocation evidence `peer` shows it lacks. Entries of `vv` that are not
   * non-negative integers count as 0.
   */
  missingFor(vv: Readonly<Record<string, unknown>>, limits: MissingLimits, peer?: PeerKnowledge): Promise<Uint8Array[]>
  /**
   * Author -> the first TIP_CHARS hex characters of an event id, for `PeerKnowledge.tips`: its head
   * event, or for a faulty author the event just before the seq it forked at.
   */
  tips(): Promise<Record<string, string>>
  /** A stored event (chain or evidence) by id. */
  get(id: string): Promise<DecodedEvent | undefined>
  /** Every chain event of a job, in (lamport, author, seq) order. */
  eventsForJob(jobId: string): Promise<DecodedEvent[]>
  /** Ids of the jobs in `status`, from the status index, in id order. */
  jobsByState(status: JobStatus): Promise<string[]>
  /** Highest lamport of any stored chain event (0 when empty). */
  maxLamport(): number
  /** Authors marked faulty -> the lowest seq at which they equivocated. Persisted. */
  faulty(): Record<string, number>
  /** Subscribes to committed batches; returns the unsubscribe function. Listener errors are logged, not thrown. */
  onAccepted(listener: AcceptedListener): () => void
  stats(): LedgerStats
  /** Number of chain events stored (evidence excluded). */
  size(): number
}
