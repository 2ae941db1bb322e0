/**
 * The writing side of one job attempt's log: bytes go to disk as they come (each `write` awaits the
 * disk, so memory stays bounded whatever a step prints), with a byte cap, a running sha256 and
 * wake-ups for followers. Used through `LogStore.open`.
 */
import { createHash } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { LogError } from '../errors.ts'

/** Prefix of every line DevQ itself writes into a log (notes and the truncation marker). */
export const NOTE_PREFIX = '[devq] '

/** What a closed log holds: `digest` is `sha256:<hex>` of the stored bytes, marker included. */
export interface LogSummary {
  digest: string
  bytes: number
  truncated: boolean
}

/**
 * Writes one log. Calls are applied in the order made; await each `write` for backpressure.
 * After `capBytes`, the log is cut on a UTF-8 boundary, one marker line is added, and later writes
 * and notes resolve without storing anything, so the job goes on. An unfinished UTF-8 character at
 * the end of a write (at most 3 bytes) reaches the file, and followers, with the next call.
 */
export interface LogWriter {
  /** Stores `bytes`. Rejects with LogError `closed` after close, `io` if the disk failed (then always). */
  write(bytes: Uint8Array): Promise<void>
  /** Stores one line from DevQ itself: NOTE_PREFIX, `text` with line breaks made spaces, `\n`; on a line of its own. */
  note(text: string): Promise<void>
  /** Flushes, syncs and closes the file, records the summary, ends followers. Idempotent: later calls give the same answer. */
  close(): Promise<LogSummary>
}

/**
 * What followers of a log being written see: bytes on disk so far and whether it is closed.
 * Holds no log bytes. One per open writer.
 */
export class LiveLog {
  size = 0
  closed = false
  private readonly waiters = new Set<() => void>()

  /** Resolves at the next growth or close, or when `signal` aborts. */
  changed (signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted === true) {
        resolve()
        return
      }
      const done = (): void => {
        signal?.removeEventListener('abort', done)
        this.waiters.delete(done)
        resolve()
      }
      this.waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  grew (size: number): void {
    this.size = size
    this.wake()
  }

  close (): void {
    this.closed = true
    this.wake()
  }

  private wake (): void {
    const waiters = [...this.waiters]
    this.waiters.clear()
    for (const w of waiters) w()
  }
}

const LF = 0x0a
const EMPTY = new Uint8Array(0)

/** Human size for the marker: whole MiB or KiB when exact, else bytes. */
function sizeText (bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

/** The largest cut at or before `at` that does not split a UTF-8 character (`at` itself if not UTF-8). */
export function utf8CutBefore (data: Uint8Array, at: number): number {
  for (let k = at; k >= Math.max(0, at - 3); k--) {
    if (k >= data.length || (data[k]! & 0xc0) !== 0x80) return k
  }
  return at
}

/** How many bytes at the end of `data` are an unfinished UTF-8 character (0-3). */
export function unfinishedTail (data: Uint8Array): number {
  for (let j = data.length - 1; j >= Math.max(0, data.length - 3); j--) {
    const b = data[j]!
    if ((b & 0xc0) === 0x80) continue
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
    return data.length - j < need ? data.length - j : 0
  }
  return 0
}

/** Where a writer puts its file and summary, and whom it tells. */
export interface WriterInit {
  job: string
  attempt: number
  handle: FileHandle
  metaPath: string
  capBytes: number
  live: LiveLog
  /** Called once the log is closed (successfully or not). */
  onClosed: () => void
}

/** One log file being written: the cap, the digest, the carried UTF-8 tail and the queue of calls. */
class FileLogWriter implements LogWriter {
  private readonly init: WriterInit
  private readonly hash = createHash('sha256')
  private stored = 0
  private lastByte = LF
  private carry: Uint8Array = EMPTY // an unfinished UTF-8 character, kept until the next write completes it
  private truncated = false
  private closing: Promise<LogSummary> | undefined
  private failure: LogError | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor (init: WriterInit) {
    this.init = init
  }

  write (bytes: Uint8Array): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(this.error('closed', 'write after close'))
    return this.enqueue(() => this.store(bytes, true))
  }

  note (text: string): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(this.error('closed', 'note after close'))
    return this.enqueue(async () => {
      await this.store(EMPTY, false)
      const newline = this.lastByte === LF ? '' : '\n'
      await this.store(Buffer.from(`${newline}${NOTE_PREFIX}${text.replace(/[\r\n]+/g, ' ')}\n`, 'utf8'), false)
    })
  }

  close (): Promise<LogSummary> {
    this.closing ??= this.finish()
    return this.closing
  }

  private async finish (): Promise<LogSummary> {
    await this.enqueue(() => this.store(EMPTY, false)).catch(() => {})
    try {
      if (this.failure !== undefined) throw this.failure
      await this.init.handle.sync()
      const summary = { digest: `sha256:${this.hash.digest('hex')}`, bytes: this.stored, truncated: this.truncated }
      const tmp = `${this.init.metaPath}.tmp`
      await writeFile(tmp, JSON.stringify(summary))
      await rename(tmp, this.init.metaPath)
      return summary
    } catch (err) {
      throw err instanceof LogError ? err : this.error('io', `cannot close the log: ${messageOf(err)}`, err)
    } finally {
      await this.init.handle.close().catch(() => {})
      this.init.live.close()
      this.init.onClosed()
    }
  }

  private enqueue (op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.failure !== undefined) throw this.failure
      try {
        await op()
      } catch (err) {
        this.failure = this.error('io', `cannot write the log: ${messageOf(err)}`, err)
        throw this.failure
      }
    })
    this.queue = run.catch(() => {})
    return run
  }

  /** Stores `data` after the carried tail, within the cap; `holdBack` keeps an unfinished character for later. */
  private async store (data: Uint8Array, holdBack: boolean): Promise<void> {
    if (this.truncated) return
    const all = this.carry.length > 0 ? Buffer.concat([this.carry, data]) : data
    this.carry = EMPTY
    const room = this.init.capBytes - this.stored
    if (all.length <= room) {
      const keep = holdBack ? unfinishedTail(all) : 0
      if (keep > 0) this.carry = Buffer.from(all.subarray(all.length - keep))
      await this.put(all.subarray(0, all.length - keep))
      return
    }
    await this.put(all.subarray(0, utf8CutBefore(all, room)))
    this.truncated = true
    const newline = this.lastByte === LF ? '' : '\n'
    await this.put(Buffer.from(`${newline}${NOTE_PREFIX}log truncated at ${sizeText(this.init.capBytes)}; the job goes on\n`, 'utf8'))
  }

  /** Appends to the file, the digest and the followers' view. */
  private async put (bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return
    let done = 0
    while (done < bytes.length) {
      const { bytesWritten } = await this.init.handle.write(bytes, done, bytes.length - done, this.stored + done)
      done += bytesWritten
    }
    this.hash.update(bytes)
    this.stored += bytes.length
    this.lastByte = bytes[bytes.length - 1]!
    this.init.live.grew(this.stored)
  }

  private error (reason: 'closed' | 'io', detail: string, cause?: unknown): LogError {
    const { job, attempt } = this.init
    return new LogError(`log ${job}/${attempt}: ${detail}`, { job, attempt, reason, detail }, { cause })
  }
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A writer on an open, empty file. The store calls this; see LogWriter. */
export function createLogWriter (init: WriterInit): LogWriter {
  return new FileLogWriter(init)
}
