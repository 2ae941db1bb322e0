/**
 * Ledger bench: ingest throughput of signed events from other authors (decode + verify + chain rules
 * + LevelDB batch + fold), and the time to reopen a 100k-event store and rebuild its state.
 * `npm run bench -- core-ledger`; scripts/bench/core.ts calls `runLedgerBench` with the real fold.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createEvent, createFold, createLedger, createWorkerVerifier, generateSigner, sha256Hex, signatureBytes, silentLogger, systemClock,
  type BodyOf, type DecodedEvent, type EventType, type Fold, type Ledger, type Signer, type Verifier
} from '../../packages/core/src/index.ts'

/** Knobs of the bench; the defaults are the reported configuration. */
export interface LedgerBenchOptions {
  /** Makes the fold under test; default `createFold`. */
  createFold?: () => Fold
  /** Events ingested in the timed throughput run. */
  ingestEvents?: number
  authors?: number
  batchSize?: number
  threads?: number
  reopenEvents?: number
}

export interface LedgerFigures {
  ledger_ingest_events_per_s: number
  ledger_reopen_100k_ms: number
  [key: string]: number
}

const HEX = (n: number): string => sha256Hex(String(n))

/** A job's life spread over authors: announce, three bids, award, start, finish. */
function* jobEvents (n: number, authors: number): Generator<{ by: number, type: EventType, body: (id: string) => unknown }> {
  const origin = n % authors
  const runner = (n + 1) % authors
  const score = { freeSlots: 2, cores: 8, load: 0.4, warm: n % 2 === 0, shareMode: 'shared', userActive: false, recentFailures: 0 }
  yield {
    by: origin,
    type: 'job.announced',
    body: () => ({
      repo: `repo-${n % 7}`, ref: 'refs/heads/main', commit: HEX(n).slice(0, 40), pipelineJob: 'build', priority: 'normal', labels: ['linux', 'x64'],
      retry: { max: 2, when: ['runner_lost'] }, timeoutMs: 600_000, cache: true, sensitive: false, source: { addrs: ['/ip4/10.0.0.1/tcp/4001'] }
    } satisfies BodyOf<'job.announced'>)
  }
  for (let b = 1; b <= 3; b++) yield { by: (n + b) % authors, type: 'job.bid', body: (job) => ({ job, attempt: 1, labels: ['linux', 'x64'], score }) }
  yield { by: origin, type: 'job.awarded', body: (job) => ({ job, attempt: 1, runner: '' }) }
  yield { by: runner, type: 'job.started', body: (job) => ({ job, attempt: 1 }) }
  yield {
    by: runner,
    type: 'job.finished',
    body: (job) => ({ job, attempt: 1, status: 'succeeded', exitCode: 0, durations: { runMs: 1000, totalMs: 1200 }, artifacts: [], logDigest: null })
  }
}

/** `count` valid events from `signers`, each author's chain contiguous, lamport global. */
export async function generate (signers: Signer[], count: number): Promise<DecodedEvent[]> {
  const heads = signers.map(() => ({ seq: 0, prev: null as string | null }))
  const out: DecodedEvent[] = []
  let lamport = 0
  for (let n = 0; out.length < count; n++) {
    let job = ''
    for (const step of jobEvents(n, signers.length)) {
      if (out.length >= count) break
      const signer = signers[step.by]
      const head = heads[step.by]
      if (signer === undefined || head === undefined) throw new Error('bad author index')
      let body = step.body(job) as Record<string, unknown>
      if (step.type === 'job.awarded') body = { ...body, runner: signers[(n + 1) % signers.length]?.peerId }
      const ev = await createEvent(signer, { seq: head.seq + 1, prev: head.prev, lamport: ++lamport, time: 1_700_000_000_000 + lamport }, step.type, body as never)
      head.seq++
      head.prev = ev.id
      if (step.type === 'job.announced') job = ev.id
      out.push(ev)
    }
  }
  return out
}

/** Signs with an all-zero signature: for setup data fed through a trusting verifier. */
export function fakeSigner (seedFrom: Signer): Signer {
  return { peerId: seedFrom.peerId, sign: () => new Uint8Array(64) }
}

const trusting: Verifier = { verifyBatch: async (items) => items.map(() => true) }

function ledgerAt (path: string, fold: Fold, verifier: Verifier): Ledger {
  return createLedger({ fold, verifier, clock: systemClock, logger: silentLogger }, { path })
}

/**
 * Ingests `wire` in batches into a fresh store and returns events/s. With `window` > 1 that many
 * batches are in flight, as when several peers sync at once: the main thread decodes one batch
 * while the workers verify the one ahead of it in the ledger's queue.
 */
async function timeIngest (path: string, makeFold: () => Fold, verifier: Verifier, wire: Uint8Array[], batchSize: number, window: number): Promise<number> {
  const ledger = ledgerAt(path, makeFold(), verifier)
  await ledger.open()
  try {
    const batches: Uint8Array[][] = []
    for (let i = 0; i < wire.length; i += batchSize) batches.push(wire.slice(i, i + batchSize))
    const started = performance.now()
    let accepted = 0
    for (let i = 0; i < batches.length; i += window) {
      const results = await Promise.all(batches.slice(i, i + window).map(async (batch) => await ledger.ingest(batch)))
      for (const res of results) accepted += res.accepted.length
    }
    const ms = performance.now() - started
    if (accepted !== wire.length) throw new Error(`only ${accepted} of ${wire.length} events accepted`)
    return Math.round(wire.length / (ms / 1000))
  } finally {
    await ledger.close()
  }
}

/** Ingest throughput from other authors: decode + verify + chain rules + store + fold. */
async function measureIngest (log: (line: string) => void, dir: string, makeFold: () => Fold, signers: Signer[], opts: LedgerBenchOptions): Promise<number> {
  const total = opts.ingestEvents ?? 20_000
  const batchSize = opts.batchSize ?? 500
  const threads = opts.threads ?? 2
  log(`generating ${total} signed events from ${signers.length} authors`)
  const events = await generate(signers, total)
  const wire = events.map((ev) => ev.bytes)
  const verifier = createWorkerVerifier({ threads })
  try {
    // Workers live as long as the node; their start-up is not part of steady-state throughput.
    await verifier.verifyBatch(events.slice(0, 256).map((ev) => ({ author: ev.event.author, message: ev.signed, signature: signatureBytes(ev.event) })))
    const perS = await timeIngest(join(dir, 'ingest-1'), makeFold, verifier, wire, batchSize, 1)
    log(`ingest: ${total} events, batches of ${batchSize} one after another, ${threads} verify threads: ${perS} events/s`)
    const pipelined = await timeIngest(join(dir, 'ingest-2'), makeFold, verifier, wire, batchSize, 2)
    log(`ingest: the same with two batches in flight: ${pipelined} events/s`)
    return perS
  } finally {
    await verifier.close()
  }
}

/** Setup for the reopen measurement: a store of `count` events, left open. Not timed. */
async function buildStore (path: string, makeFold: () => Fold, signers: Signer[], count: number): Promise<Ledger> {
  const setup = await generate(signers.map(fakeSigner), count)
  const ledger = ledgerAt(path, makeFold(), trusting)
  await ledger.open()
  for (let i = 0; i < setup.length; i += 5000) await ledger.ingest(setup.slice(i, i + 5000))
  return ledger
}

/** Reopen time: close the built store, open it again with a fresh fold, which rebuilds everything. */
async function measureReopen (log: (line: string) => void, path: string, makeFold: () => Fold, signers: Signer[], count: number): Promise<number> {
  log(`building a ${count}-event store (setup, trusting verifier)`)
  const built: { ledger?: Ledger } = { ledger: await buildStore(path, makeFold, signers, count) }
  const t0 = performance.now()
  await built.ledger?.close()
  // Drop the old fold so the rebuild is measured in a heap like a fresh node's.
  delete built.ledger
  const t1 = performance.now()
  const again = ledgerAt(path, makeFold(), trusting)
  await again.open()
  const t2 = performance.now()
  const ms = Math.round(t2 - t0)
  log(`reopen: close + open + fold rebuild of ${again.size()} events in ${ms} ms (close ${Math.round(t1 - t0)} ms, open ${Math.round(t2 - t1)} ms)`)
  await again.close()
  return ms
}

/** Runs both measurements and returns the figures; `log` receives human-readable progress. */
export async function runLedgerBench (log: (line: string) => void, opts: LedgerBenchOptions = {}): Promise<LedgerFigures> {
  const makeFold = opts.createFold ?? createFold
  const signers = Array.from({ length: opts.authors ?? 8 }, () => generateSigner())
  const dir = await mkdtemp(join(tmpdir(), 'devq-bench-ledger-'))
  try {
    const perS = await measureIngest(log, dir, makeFold, signers, opts)
    const reopenMs = await measureReopen(log, join(dir, 'reopen'), makeFold, signers, opts.reopenEvents ?? 100_000)
    return { ledger_ingest_events_per_s: perS, ledger_reopen_100k_ms: reopenMs }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Entry for `npm run bench -- core-ledger`. */
export async function run (log: (line: string) => void): Promise<LedgerFigures> {
  return await runLedgerBench(log)
}
