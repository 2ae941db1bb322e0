/** Shared fixtures of the ledger tests: temp dirs, a recording fold, event chains. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  canonicalBytes, createEvent, createInlineVerifier, createLedger, decodeEvent, sha256Hex, silentLogger, systemClock,
  type BodyOf, type DecodedEvent, type EventType, type Fold, type JobChange, type JobState, type JobStatus,
  type Ledger, type LedgerInit, type Signer, type TeamState, type Verifier
} from '../../src/index.ts'

/** A fresh temp directory and its removal. */
export async function tempDir (): Promise<{ dir: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'devq-ledger-'))
  return { dir, remove: async () => { await rm(dir, { recursive: true, force: true }) } }
}

/** A fold that records what it is given and tracks a minimal job status, enough to exercise the ledger. */
export interface RecordingFold extends Fold {
  applied: Map<string, DecodedEvent>
  faultyCalls: { author: string, fromSeq: number }[]
}

const statusOf: Partial<Record<EventType, (body: Record<string, unknown>) => JobStatus>> = {
  'job.announced': () => 'queued',
  'job.awarded': () => 'awarded',
  'job.started': () => 'running',
  'job.finished': (body) => body.status as JobStatus
}

export function recordingFold (): RecordingFold {
  const applied = new Map<string, DecodedEvent>()
  const status = new Map<string, JobStatus>()
  const faultyCalls: { author: string, fromSeq: number }[] = []
  return {
    applied,
    faultyCalls,
    apply (events) {
      const changes: JobChange[] = []
      for (const ev of events) {
        if (applied.has(ev.id)) continue
        applied.set(ev.id, ev)
        const next = statusOf[ev.event.type]?.(ev.event.body as Record<string, unknown>)
        if (next === undefined) continue
        const job = ev.event.type === 'job.announced' ? ev.id : (ev.event.body as { job: string }).job
        const before = status.get(job)
        if (before === next) continue
        status.set(job, next)
        changes.push({ job, before, after: next })
      }
      return changes
    },
    markFaulty (author, fromSeq) {
      faultyCalls.push({ author, fromSeq })
      return []
    },
    job: (id) => (status.has(id) ? { id, status: status.get(id) } as JobState : undefined),
    * jobs () {
      for (const [id, s] of status) yield { id, status: s } as JobState
    },
    * openJobs () {
      for (const [id, s] of status) if (s === 'queued' || s === 'awarded' || s === 'running') yield { id, status: s } as JobState
    },
    succeededWithKey: () => undefined,
    team: (): TeamState => ({ mode: 'open', members: {} }),
    stateHash: () => sha256Hex([...applied.keys()].sort().join(','))
  }
}

/** Opens a ledger at `path` with a fresh recording fold. */
export async function openLedger (path: string, opts: Partial<LedgerInit> & { verifier?: Verifier } = {}): Promise<{ ledger: Ledger, fold: RecordingFold }> {
  const fold = recordingFold()
  const ledger = createLedger({ fold, verifier: opts.verifier ?? createInlineVerifier(), clock: systemClock, logger: silentLogger }, { path, ...opts })
  await ledger.open()
  return { ledger, fold }
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
