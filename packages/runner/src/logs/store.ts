/**
 * The runner's store of job logs, one file per job attempt, kept on disk with a size cap.
 *
 * Layout (this module is the only one that knows it): `<dir>/<job>/<attempt>.log` holds the bytes
 * as written; `<dir>/<job>/<attempt>.json` holds `{bytes, digest, truncated}` once the writer
 * closed. A `.log` with no summary and no writer in this process was cut off by a crash: it reads
 * as closed, without a digest.
 *
 * The store keeps what it is given: mask secrets (see redact.ts) before writing. Readers and
 * followers read the file (a follower tails it and is woken by the writer), so any number of
 * followers cost a file handle and one read buffer each, never a copy of the log. One store per
 * directory per process.
 *
 * Retention: `prune(keep)` deletes every stored job the caller no longer wants (the node decides
 * from the ledger, e.g. jobs of the last N runs per repo); logs being written are never removed.
 */
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { LogError } from '../errors.ts'
import { createLogWriter, LiveLog, type LogSummary, type LogWriter } from './writer.ts'

/** Default cap on one attempt's log, in bytes (64 MiB). */
export const DEFAULT_LOG_CAP_BYTES = 64 * 1024 * 1024

/** Largest chunk a reader or follower yields, in bytes. */
export const LOG_READ_CHUNK_BYTES = 64 * 1024

/** Highest attempt number accepted. */
export const MAX_ATTEMPT = 1000

/** Options of `createLogStore`. */
export interface LogStoreInit {
  /** Directory of all logs; created on first write. */
  dir: string
  /** Cap per attempt, in bytes; later output is dropped after one marker line. */
  capBytes?: number
}

/** The state of one stored log. `digest`/`truncated` are there once its writer closed normally. */
export interface LogInfo {
  bytes: number
  closed: boolean
  digest?: string
  truncated?: boolean
}

/**
 * Job attempt logs on this runner. Job ids are 64 lowercase hex characters, attempts 1..MAX_ATTEMPT,
 * offsets byte counts from 0; anything else throws LogError (`bad_job`, `bad_attempt`, `bad_offset`)
 * before a path is built. All methods may be called concurrently.
 */
export interface LogStore {
  /** A writer for a new log. Rejects with LogError `exists` if the attempt has a log already. */
  open(job: string, attempt: number): Promise<LogWriter>
  /** The stored bytes from `from` up to what is stored when reading starts. Throws LogError `not_found` on iteration. */
  read(job: string, attempt: number, from?: number): AsyncIterable<Uint8Array>
  /** The stored bytes from `from`, then new ones as they are written; ends when the writer closes or `signal` aborts. */
  follow(job: string, attempt: number, from?: number, signal?: AbortSignal): AsyncIterable<Uint8Array>
  /** Whether a log exists (being written or stored). */
  has(job: string, attempt: number): Promise<boolean>
  /** Size and state of a log. Rejects with LogError `not_found`. */
  info(job: string, attempt: number): Promise<LogInfo>
  /** Deletes the logs of every job for which `keep` is false, except jobs with a log being written. */
  prune(keep: (job: string) => boolean): Promise<{ jobs: number, bytes: number }>
}

const JOB_ID = /^[0-9a-f]{64}$/

const Summary = z.strictObject({
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  truncated: z.boolean()
})

function logError (job: string, attempt: number, reason: LogError['data']['reason'], detail: string, cause?: unknown): LogError {
  return new LogError(`log ${job.slice(0, 80)}/${attempt}: ${detail}`, { job, attempt, reason, detail }, { cause })
}

/** Throws unless `job`, `attempt` and `from` are valid; the only gate before a path is built. */
export function checkLogId (job: unknown, attempt: unknown, from: unknown = 0): void {
  const j = typeof job === 'string' ? job : String(job)
  const a = typeof attempt === 'number' ? attempt : Number.NaN
  if (typeof job !== 'string' || !JOB_ID.test(job)) throw logError(j, a, 'bad_job', 'job id must be 64 lowercase hex characters')
  if (!Number.isInteger(attempt) || a < 1 || a > MAX_ATTEMPT) throw logError(j, a, 'bad_attempt', `attempt must be an integer from 1 to ${MAX_ATTEMPT}`)
  if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0) throw logError(j, a, 'bad_offset', 'offset must be a non-negative integer')
}

/** Reads `length` bytes (or fewer at the end of the file) at `position` into a new buffer. */
async function readAt (handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafe(length)
  const { bytesRead } = await handle.read(buffer, 0, length, position)
  return buffer.subarray(0, bytesRead)
}

/** Yields the file's bytes in [from, to), in chunks; `to` undefined means its size now. */
async function * readRange (handle: FileHandle, from: number, to: number | undefined): AsyncGenerator<Uint8Array> {
  const end = to ?? (await handle.stat()).size
  let pos = from
  while (pos < end) {
    const chunk = await readAt(handle, pos, Math.min(LOG_READ_CHUNK_BYTES, end - pos))
    if (chunk.length === 0) return
    pos += chunk.length
    yield chunk
  }
}

/** Tails a log being written: reads to what the writer has stored, then waits for it to store more. */
async function * tail (handle: FileHandle, live: LiveLog, from: number, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  let pos = from
  while (signal?.aborted !== true) {
    if (pos < live.size) {
      const chunk = await readAt(handle, pos, Math.min(LOG_READ_CHUNK_BYTES, live.size - pos))
      if (chunk.length === 0) return
      pos += chunk.length
      yield chunk
    } else if (live.closed) {
      return
    } else {
      await live.changed(signal)
    }
  }
}

/** A log being written in this process; `opened` settles once its file exists (true) or failed (false). */
interface LiveEntry { log: LiveLog, opened: Promise<boolean> }

/** The store over one directory; see LogStore. */
class DiskLogStore implements LogStore {
  private readonly dir: string
  private readonly capBytes: number
  private readonly live = new Map<string, LiveEntry>()

  constructor (dir: string, capBytes: number) {
    this.dir = dir
    this.capBytes = capBytes
  }

  async open (job: string, attempt: number): Promise<LogWriter> {
    checkLogId(job, attempt)
    const k = `${job}/${attempt}`
    if (this.live.has(k)) throw logError(job, attempt, 'exists', 'this attempt already has a log')
    const log = new LiveLog()
    let settle: (ok: boolean) => void = () => {}
    // Registered before the file exists, so a follower that comes in between waits for it.
    this.live.set(k, { log, opened: new Promise<boolean>((resolve) => { settle = resolve }) })
    try {
      await mkdir(join(this.dir, job), { recursive: true })
      const handle = await open(this.logPath(job, attempt), 'wx')
      settle(true)
      return createLogWriter({ job, attempt, handle, metaPath: this.metaPath(job, attempt), capBytes: this.capBytes, live: log, onClosed: () => { this.live.delete(k) } })
    } catch (err) {
      this.live.delete(k)
      settle(false)
      if ((err as { code?: unknown }).code === 'EEXIST') throw logError(job, attempt, 'exists', 'this attempt already has a log')
      throw logError(job, attempt, 'io', `cannot create the log: ${(err as Error).message}`, err)
    }
  }

  read (job: string, attempt: number, from = 0): AsyncIterable<Uint8Array> {
    checkLogId(job, attempt, from)
    return this.reading(job, attempt, from, undefined, false)
  }

  follow (job: string, attempt: number, from = 0, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    checkLogId(job, attempt, from)
    return this.reading(job, attempt, from, signal, true)
  }

  async has (job: string, attempt: number): Promise<boolean> {
    return await this.info(job, attempt).then(() => true, (err: unknown) => {
      if (err instanceof LogError && err.data.reason === 'not_found') return false
      throw err
    })
  }

  async info (job: string, attempt: number): Promise<LogInfo> {
    checkLogId(job, attempt)
    const log = await this.liveLog(job, attempt)
    if (log !== undefined) return { bytes: log.size, closed: log.closed }
    let size: number
    try {
      size = (await stat(this.logPath(job, attempt))).size
    } catch (err) {
      throw readFailure(job, attempt, err)
    }
    const summary = await readSummary(this.metaPath(job, attempt))
    return summary !== undefined && summary.bytes === size ? { closed: true, ...summary } : { bytes: size, closed: true }
  }

  async prune (keep: (job: string) => boolean): Promise<{ jobs: number, bytes: number }> {
    return await pruneJobs(this.dir, (job) => keep(job) || [...this.live.keys()].some((k) => k.startsWith(`${job}/`)))
  }

  private logPath (job: string, attempt: number): string {
    return join(this.dir, job, `${attempt}.log`)
  }

  private metaPath (job: string, attempt: number): string {
    return join(this.dir, job, `${attempt}.json`)
  }

  private async liveLog (job: string, attempt: number): Promise<LiveLog | undefined> {
    const entry = this.live.get(`${job}/${attempt}`)
    return entry !== undefined && await entry.opened ? entry.log : undefined
  }

  private async * reading (job: string, attempt: number, from: number, signal: AbortSignal | undefined, follow: boolean): AsyncGenerator<Uint8Array> {
    const log = await this.liveLog(job, attempt)
    let handle: FileHandle
    try {
      handle = await open(this.logPath(job, attempt), 'r')
    } catch (err) {
      throw readFailure(job, attempt, err)
    }
    try {
      if (log !== undefined && follow) yield * tail(handle, log, from, signal)
      else yield * readRange(handle, from, log?.size)
    } finally {
      await handle.close()
    }
  }
}

function readFailure (job: string, attempt: number, err: unknown): LogError {
  if ((err as { code?: unknown }).code === 'ENOENT') return logError(job, attempt, 'not_found', 'no such log')
  return logError(job, attempt, 'io', `cannot read the log: ${(err as Error).message}`, err)
}

/** A store of job logs in `init.dir`; see LogStore. */
export function createLogStore (init: LogStoreInit): LogStore {
  const capBytes = init.capBytes ?? DEFAULT_LOG_CAP_BYTES
  if (!Number.isSafeInteger(capBytes) || capBytes < 1) throw new RangeError('capBytes must be a positive integer')
  return new DiskLogStore(init.dir, capBytes)
}

/** A closed log's summary, or undefined if missing or not well formed (then the log has no digest). */
async function readSummary (path: string): Promise<LogSummary | undefined> {
  try {
    const text = await readFile(path, 'utf8')
    if (text.length > 4096) return undefined
    const parsed = Summary.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/** Deletes `<dir>/<job>` for each job id not kept; names that are not job ids are left alone. */
async function pruneJobs (dir: string, keep: (job: string) => boolean): Promise<{ jobs: number, bytes: number }> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { jobs: 0, bytes: 0 }
    throw err
  }
  let jobs = 0
  let bytes = 0
  for (const job of names) {
    if (!JOB_ID.test(job) || keep(job)) continue
    const jobDir = join(dir, job)
    for (const file of await readdir(jobDir).catch(() => [])) bytes += (await stat(join(jobDir, file)).catch(() => ({ size: 0 }))).size
    await rm(jobDir, { recursive: true, force: true })
    jobs++
  }
  return { jobs, bytes }
}
