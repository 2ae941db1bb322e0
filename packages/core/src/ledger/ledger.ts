import type { BodyOf, EventType } from '../events/bodies.ts'
import { createEvent, REJECT_REASONS, sha256Hex, type DecodedEvent, type RejectReason } from '../events/envelope.ts'
import { LedgerAppendError, LedgerClosedError, LedgerWriteError } from '../errors.ts'
import type { Fold } from '../fold/fold.ts'
import type { JobChange, JobStatus } from '../fold/types.ts'
import type { Clock, Logger, Signer, Verifier } from '../ports.ts'
import { buildBatch, newHeads, type Commit } from './batch.ts'
import { eventKey, idKey } from './keys.ts'
import { loadLedger, type FaultyAuthor } from './load.ts'
import { decodeInput, groupByAuthor, planChains, reject, settle, verifyItems, type Decoded, type Head, type Settled } from './plan.ts'
import * as queries from './queries.ts'
import { moveStoreAside, openStore, writeOptions, type LedgerDb, type OpenDatabase } from './store.ts'
import { TIP_CHARS, type AcceptedListener, type IngestResult, type Ledger, type LedgerComponents, type LedgerInit, type LedgerStats, type MissingLimits, type PeerKnowledge, type Rejection } from './types.ts'

/** Evidence kept per faulty author; more equivocations are still counted but not stored. */
export const MAX_EVIDENCE_PER_AUTHOR = 16


type State = 'new' | 'opening' | 'open' | 'closing' | 'closed'

/**
 * Write failures: the fold must see a commit's events before the batch is built (the status index
 * comes from its changes), so a failed write leaves the fold ahead of the disk. The fold cannot be
 * rolled back, so the ledger closes itself and throws LedgerWriteError; the owner opens a new
 * ledger with a fresh fold, which rebuilds from what is on disk.
 */
/** An append waiting for the next group commit. */
interface PendingAppend {
  signer: Signer
  type: EventType
  body: unknown
  resolve: (event: DecodedEvent) => void
  reject: (err: unknown) => void
}

export class LevelLedger implements Ledger {
  private readonly fold: Fold
  private readonly verifier: Verifier
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly path: string
  private readonly openDatabase: OpenDatabase | undefined
  private readonly isMember: ((peerId: string) => boolean) | undefined
  private readonly rebuild: boolean
  private readonly mayAppend: LedgerInit['mayAppend']
  private state: State = 'new'
  private db: LedgerDb | undefined
  private heads = new Map<string, Head>()
  private faultyAuthors = new Map<string, FaultyAuthor>()
  private lamport = 0
  private count = 0
  private tail: Promise<unknown> = Promise.resolve()
  private closing: Promise<void> | undefined
  private readonly listeners = new Set<AcceptedListener>()
  private pendingAppends: PendingAppend[] = []
  private readonly counters: LedgerStats = {
    accepted: 0, duplicates: 0, equivocations: 0, rejected: Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>
  }

  constructor (components: LedgerComponents, init: LedgerInit) {
    this.fold = components.fold
    this.verifier = components.verifier
    this.clock = components.clock
    this.logger = components.logger.child({ component: 'ledger' })
    this.path = init.path
    this.openDatabase = components.openDatabase
    this.isMember = init.isMember
    this.rebuild = init.rebuild === true
    this.mayAppend = init.mayAppend
  }

  async open (): Promise<void> {
    if (this.state === 'open') return
    if (this.state !== 'new') throw new LedgerClosedError(`ledger at ${this.path} cannot be reopened: create a new ledger with a fresh fold`, { path: this.path })
    this.state = 'opening'
    const started = this.clock.monotonicMs()
    try {
      if (this.rebuild) {
        const moved = await moveStoreAside(this.path, this.clock.wallMs())
        if (moved !== undefined) this.logger.warn({ path: this.path, movedTo: moved }, 'moved the ledger store aside; peers will refill it by sync')
      }
      const db = await openStore(this.path, this.openDatabase)
      const loaded = await loadLedger(db, this.path, this.fold).catch(async (err: unknown) => {
        await db.close().catch(() => {})
        throw err
      })
      this.db = db
      this.heads = loaded.heads
      this.faultyAuthors = loaded.faulty
      this.lamport = loaded.maxLamport
      this.count = loaded.size
      if (loaded.statusFixes > 0) this.logger.info({ fixes: loaded.statusFixes }, 'status index rewritten to match the fold')
    } catch (err) {
      this.state = 'closed'
      throw err
    }
    this.state = 'open'
    this.logger.info({ path: this.path, events: this.count, authors: this.heads.size, duration_ms: Math.round(this.clock.monotonicMs() - started) }, 'ledger open')
  }

  async close (): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing'
      this.closing = this.tail.then(async () => { await this.shutDown() })
    }
    await this.closing
  }

  async ingest (input: readonly (Uint8Array | DecodedEvent)[]): Promise<IngestResult> {
    this.assertOpen()
    // Decoding needs no ledger state, so it runs now and overlaps the batch ahead in the queue.
    const decoded = decodeInput(input)
    return await this.enqueue(async () => await this.commit(decoded, false))
  }

  async append<T extends EventType> (signer: Signer, type: T, body: BodyOf<T>): Promise<DecodedEvent> {
    this.assertOpen()
    const refused = this.mayAppend?.(signer.peerId, this.heads.get(signer.peerId)?.seq ?? 0)
    if (refused !== undefined) throw new LedgerAppendError(`own ${type} event not written: ${refused}`, { type, reason: 'own_chain_missing', detail: refused })
    return await new Promise<DecodedEvent>((resolve, reject) => {
      this.pendingAppends.push({ signer, type, body, resolve, reject } as PendingAppend)
      // Group commit: appends made while one is being written share the next write and its fsync.
      if (this.pendingAppends.length === 1) void this.enqueue(async () => { await this.flushAppends() })
    })
  }

  /** Signs every pending append in order, chaining them, and commits them in one fsynced batch. */
  private async flushAppends (): Promise<void> {
    const batch = this.pendingAppends.splice(0)
    const made: { pending: PendingAppend, event?: DecodedEvent, error?: unknown }[] = []
    const heads = new Map<string, { seq: number, id: string | null }>()
    let lamport = this.lamport
    for (const pending of batch) {
      const head = heads.get(pending.signer.peerId) ?? { seq: this.heads.get(pending.signer.peerId)?.seq ?? 0, id: this.heads.get(pending.signer.peerId)?.id ?? null }
      try {
        const event = await createEvent(pending.signer, { seq: head.seq + 1, prev: head.id, lamport: ++lamport, time: this.clock.wallMs() }, pending.type, pending.body as never)
        heads.set(pending.signer.peerId, { seq: head.seq + 1, id: event.id })
        made.push({ pending, event })
      } catch (error) {
        made.push({ pending, error })
      }
    }
    const events = made.flatMap((m) => (m.event === undefined ? [] : [m.event]))
    let result: IngestResult
    try {
      result = await this.commit({ events, rejected: [], duplicates: 0 }, true)
    } catch (err) {
      for (const m of made) m.pending.reject(err)
      return
    }
    const accepted = new Set(result.accepted.map((e) => e.id))
    for (const m of made) {
      if (m.event !== undefined && accepted.has(m.event.id)) { m.pending.resolve(m.event); continue }
      const why = result.rejected.find((r) => r.id === m.event?.id) ?? result.rejected[0]
      m.pending.reject(m.error ?? new LedgerAppendError(`own ${m.pending.type} event refused: ${why?.reason ?? 'unknown'}: ${why?.detail ?? ''}`, { type: m.pending.type, reason: why?.reason ?? 'unknown', detail: why?.detail ?? '' }))
    }
  }

  versionVector (): Record<string, number> {
    this.assertOpen()
    const vv: Record<string, number> = {}
    for (const [author, head] of this.heads) vv[author] = head.seq
    return vv
  }

  async missingFor (vv: Readonly<Record<string, unknown>>, limits: MissingLimits, peer?: PeerKnowledge): Promise<Uint8Array[]> {
    const db = this.assertOpen()
    const faulty = new Map([...this.faultyAuthors].map(([author, f]) => [author, f.fromSeq]))
    return await queries.missingFor(db, this.heads, faulty, vv, limits, peer)
  }

  async tips (): Promise<Record<string, string>> {
    const db = this.assertOpen()
    const tips: Record<string, string> = {}
    for (const [author, head] of this.heads) tips[author] = head.id.slice(0, TIP_CHARS)
    // For a faulty author, the tip is the event before the fork: a peer that parted lower shows there.
    for (const [author, f] of this.faultyAuthors) {
      delete tips[author]
      if (f.fromSeq <= 1 || (this.heads.get(author)?.seq ?? 0) < f.fromSeq - 1) continue
      const bytes = await db.get(eventKey(author, f.fromSeq - 1), { valueEncoding: 'view' })
      if (bytes !== undefined) tips[author] = sha256Hex(bytes).slice(0, TIP_CHARS)
    }
    return tips
  }

  async get (id: string): Promise<DecodedEvent | undefined> {
    return await queries.getEvent(this.assertOpen(), id)
  }

  async eventsForJob (jobId: string): Promise<DecodedEvent[]> {
    return await queries.eventsForJob(this.assertOpen(), jobId)
  }

  async jobsByState (status: JobStatus): Promise<string[]> {
    return await queries.jobsByState(this.assertOpen(), status)
  }

  maxLamport (): number {
    this.assertOpen()
    return this.lamport
  }

  faulty (): Record<string, number> {
    this.assertOpen()
    return Object.fromEntries([...this.faultyAuthors].map(([author, f]) => [author, f.fromSeq]))
  }

  onAccepted (listener: AcceptedListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  stats (): LedgerStats {
    return { ...this.counters, rejected: { ...this.counters.rejected } }
  }

  size (): number {
    this.assertOpen()
    return this.count
  }

  private assertOpen (): LedgerDb {
    if (this.state !== 'open' || this.db === undefined) throw new LedgerClosedError(`ledger at ${this.path} is not open`, { path: this.path })
    return this.db
  }

  private enqueue<T> (task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task)
    this.tail = run.catch(() => {})
    return run
  }

  /** Chain rules, one verifyBatch, one write. Runs inside the queue; `sync` fsyncs the write. */
  private async commit (decoded: Decoded, sync: boolean): Promise<IngestResult> {
    const db = this.db
    if (db === undefined) throw new LedgerClosedError(`ledger at ${this.path} is not open`, { path: this.path })
    const early: Rejection[] = [...decoded.rejected]
    const events = this.admit(decoded.events, early)
    const groups = groupByAuthor(events)
    const plan = planChains(groups, this.heads, await this.knownIds(db, events), this.lamport)
    const items = verifyItems(plan)
    const settled = settle(plan, items.length === 0 ? [] : await this.verifier.verifyBatch(items))
    const rejected = early.concat(settled.rejected)
    if (settled.accepted.length > 0 || settled.equivocations.length > 0) await this.write(db, settled, sync)
    const result: IngestResult = { accepted: settled.accepted, duplicates: decoded.duplicates + plan.duplicates, rejected, equivocations: settled.equivocations }
    this.record(result)
    return result
  }

  private admit (events: DecodedEvent[], rejected: Rejection[]): DecodedEvent[] {
    const isMember = this.isMember
    if (isMember === undefined) return events
    const verdicts = new Map<string, boolean>()
    return events.filter((ev) => {
      const author = ev.event.author
      let ok = verdicts.get(author)
      if (ok === undefined) verdicts.set(author, ok = isMember(author))
      if (!ok) rejected.push(reject(ev, 'not_member', 'author is not a member of the team'))
      return ok
    })
  }

  /** Ids already stored, looked up only for events at or below their author's head (no others can be stored). */
  private async knownIds (db: LedgerDb, events: readonly DecodedEvent[]): Promise<Set<string>> {
    const old = events.filter((ev) => ev.event.seq <= (this.heads.get(ev.event.author)?.seq ?? 0))
    if (old.length === 0) return new Set()
    const found = await db.getMany(old.map((ev) => idKey(ev.id)))
    return new Set(old.filter((_, i) => found[i] !== undefined).map((ev) => ev.id))
  }

  private record (result: IngestResult): void {
    this.counters.accepted += result.accepted.length
    this.counters.duplicates += result.duplicates
    this.counters.equivocations += result.equivocations.length
    for (const r of result.rejected) {
      this.counters.rejected[r.reason]++
      this.logger.debug({ ...r }, 'event rejected')
    }
    for (const e of result.equivocations) this.logger.warn({ ...e }, 'equivocation: author marked faulty')
  }

  private async write (db: LedgerDb, settled: Settled, sync: boolean): Promise<void> {
    const commit = await this.foldCommit(settled)
    const heads = newHeads(settled.accepted)
    try {
      await db.batch(buildBatch(commit, heads), writeOptions(sync))
    } catch (err) {
      this.logger.error({ err, path: this.path }, 'ledger write failed; closing the ledger')
      await this.shutDown()
      throw new LedgerWriteError(`writing to the ledger at ${this.path} failed; the ledger closed itself: open a new one`, { path: this.path, detail: String(err) }, { cause: err })
    }
    for (const [author, head] of heads) this.heads.set(author, head)
    for (const ev of settled.accepted) if (ev.event.lamport > this.lamport) this.lamport = ev.event.lamport
    this.count += settled.accepted.length
    this.emit(settled.accepted, commit.changes)
  }

  /** Feeds the fold and decides what evidence and faulty records to write. */
  private async foldCommit (settled: Settled): Promise<Commit> {
    const faulty = new Map<string, number>()
    const evidence: DecodedEvent[] = []
    for (const ev of settled.evidence) {
      const { author, seq } = ev.event
      const entry = this.faultyAuthors.get(author) ?? { fromSeq: Infinity, evidence: 0 }
      if (seq < entry.fromSeq) faulty.set(author, entry.fromSeq = seq)
      if (entry.evidence < MAX_EVIDENCE_PER_AUTHOR) {
        entry.evidence++
        evidence.push(ev)
      }
      this.faultyAuthors.set(author, entry)
    }
    let changes: JobChange[]
    try {
      changes = this.fold.apply(settled.accepted)
      for (const [author, fromSeq] of faulty) changes = changes.concat(this.fold.markFaulty(author, fromSeq))
    } catch (err) {
      this.logger.error({ err }, 'fold failed; closing the ledger')
      await this.shutDown()
      throw new LedgerWriteError(`the fold of the ledger at ${this.path} failed; the ledger closed itself`, { path: this.path, detail: String(err) }, { cause: err })
    }
    return { accepted: settled.accepted, evidence, faulty, changes }
  }

  private emit (events: readonly DecodedEvent[], changes: readonly JobChange[]): void {
    if (events.length === 0 && changes.length === 0) return
    for (const listener of this.listeners) {
      try {
        listener(events, changes)
      } catch (err) {
        this.logger.error({ err }, 'onAccepted listener threw')
      }
    }
  }

  private async shutDown (): Promise<void> {
    const db = this.db
    this.state = 'closed'
    this.db = undefined
    await db?.close()
  }
}

/** Creates a ledger; call `open()` before use. See `Ledger` for the contract. */
export function createLedger (components: LedgerComponents, init: LedgerInit): Ledger {
  return new LevelLedger(components, init)
}
