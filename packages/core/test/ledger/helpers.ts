import { afterEach, beforeEach } from 'vitest'
/** Shared fixtures of the ledger tests: temp dirs, ledgers over the real fold, event chains. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  canonicalBytes, createEvent, createFold, createInlineVerifier, createLedger, decodeEvent, silentLogger, systemClock,
  type BodyOf, type DecodedEvent, type EventType, type Fold, type Ledger, type LedgerInit, type OpenDatabase, type Signer, type Verifier
} from '../../src/index.ts'

/** A fresh temp directory and its removal. */
export async function tempDir (): Promise<{ dir: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'devq-ledger-'))
  return { dir, remove: async () => { await rm(dir, { recursive: true, force: true }) } }
}

/** Gives each test of the calling suite a fresh temp dir, removed after it; returns its ledger path. */
export function useTempLedgerPath (): () => string {
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined
  beforeEach(async () => { tmp = await tempDir() })
  afterEach(async () => { await tmp?.remove() })
  return () => join(tmp!.dir, 'db')
}

/** Opens a ledger at `path` with a fresh fold. */
export async function openLedger (path: string, opts: Partial<LedgerInit> & { verifier?: Verifier, openDatabase?: OpenDatabase } = {}): Promise<{ ledger: Ledger, fold: Fold }> {
  const fold = createFold()
  const { verifier, openDatabase, ...init } = opts
  const ledger = createLedger({ fold, verifier: verifier ?? createInlineVerifier(), clock: systemClock, logger: silentLogger, openDatabase }, { path, ...init })
  await ledger.open()
  return { ledger, fold }
}

/** The state hash of a fresh fold given exactly `events`, then the faulty marks (author -> from seq). */
export function foldedHash (events: readonly DecodedEvent[], faulty: Record<string, number> = {}): string {
  const fold = createFold()
  fold.apply(events)
  for (const [author, fromSeq] of Object.entries(faulty)) fold.markFaulty(author, fromSeq)
  return fold.stateHash()
}

/** The peers whose bids the fold counts on each of `jobs` (undefined for a job it does not know). */
export function bidders (fold: Fold, jobs: readonly string[]): (string[] | undefined)[] {
  return jobs.map((id) => fold.job(id)?.bids.map((b) => b.peer))
}

export const JOB = 'ab'.repeat(32)

export function announceBody (n = 0): BodyOf<'job.announced'> {
  return {
    repo: 'repo-' + String(n), ref: 'refs/heads/main', commit: 'c'.repeat(40), pipelineJob: 'build', priority: 'normal', labels: ['linux'],
    retry: { max: 1, when: ['runner_lost'] }, timeoutMs: 60_000, cache: true, sensitive: false, source: { addrs: [] }
  }
}

export function bidBody (job = JOB): BodyOf<'job.bid'> {
  return { job, attempt: 1, labels: ['linux'], score: { freeSlots: 1, cores: 4, load: 0.2, warm: false, shareMode: 'shared', userActive: false, recentFailures: 0 } }
}

/** Builds an author's chain event by event; `next` signs the next one. */
export function chain (signer: Signer, startLamport = 1): {
  next: <T extends EventType>(type: T, body: BodyOf<T>, override?: { seq?: number, prev?: string | null }) => Promise<DecodedEvent>
} {
  let seq = 0
  let prev: string | null = null
  let lamport = startLamport
  return {
    async next (type, body, override = {}) {
      const ev = await createEvent(signer, { seq: override.seq ?? seq + 1, prev: override.prev !== undefined ? override.prev : prev, lamport: lamport++, time: 1_700_000_000_000 }, type, body)
      if (override.seq === undefined && override.prev === undefined) {
        seq++
        prev = ev.id
      }
      return ev
    }
  }
}

/** `n` bids by `signer`, seq 1..n. */
export async function bids (signer: Signer, n: number, job = JOB): Promise<DecodedEvent[]> {
  const c = chain(signer)
  const out: DecodedEvent[] = []
  for (let i = 0; i < n; i++) out.push(await c.next('job.bid', bidBody(job)))
  return out
}

/** `n` jobs announced by `signer`, seq 1..n, lamport `startLamport`.. (each a distinct job). */
export async function announces (signer: Signer, n: number, startLamport = 1): Promise<DecodedEvent[]> {
  const c = chain(signer, startLamport)
  const out: DecodedEvent[] = []
  for (let i = 0; i < n; i++) out.push(await c.next('job.announced', announceBody(i)))
  return out
}

/**
 * One bid by `signer` on each of `jobs` in order, seq 1..jobs.length. The lamports start at
 * `startLamport`, after the announces the tests make, since the fold ignores bids ordered before the announce.
 */
export async function bidsOn (signer: Signer, jobs: readonly string[], startLamport = 1000): Promise<DecodedEvent[]> {
  const c = chain(signer, startLamport)
  const out: DecodedEvent[] = []
  for (const job of jobs) out.push(await c.next('job.bid', bidBody(job)))
  return out
}

/** Encodes and signs an arbitrary envelope, bypassing createEvent's checks: for inputs a bad peer could send. */
export async function signRaw (signer: Signer, unsigned: Record<string, unknown>): Promise<Uint8Array> {
  const sig = Buffer.from(await signer.sign(canonicalBytes(unsigned))).toString('base64url')
  return canonicalBytes({ ...unsigned, sig })
}

/** Collects everything a ledger holds, author by author, via the sync API. */
export async function allEvents (ledger: Ledger): Promise<DecodedEvent[]> {
  const bytes = await ledger.missingFor({}, { maxEvents: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER })
  return bytes.map((b) => {
    const res = decodeEvent(b)
    if (!res.ok) throw new Error(`stored event does not decode: ${res.detail}`)
    return res.value
  })
}
