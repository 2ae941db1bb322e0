/**
 * Errors of @devq/core. Check them by `name` (or `code`, which equals it), never by message.
 * Across the network they travel as `{name, code, message, data, retryable}` (see `toJSON`).
 */

/** The shape an error takes on the wire and in logs. */
export interface ErrorJson<D> {
  name: string
  /** Equals `name`; kept so a receiver that checks `code` needs no special case. */
  code: string
  message: string
  data: D
  /** Whether repeating the same operation may succeed. */
  retryable: boolean
}

/** Base of every DevQ core error: a literal `name`, `code === name`, typed `data`. */
export abstract class DevqError<D extends object = Record<string, unknown>> extends Error {
  abstract override readonly name: string
  readonly data: D
  /** Whether repeating the same operation may succeed. */
  readonly retryable: boolean

  constructor (message: string, data: D, options: { cause?: unknown, retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.data = data
    this.retryable = options.retryable ?? false
  }

  get code (): string {
    return this.name
  }

  toJSON (): ErrorJson<D> {
    return { name: this.name, code: this.code, message: this.message, data: this.data, retryable: this.retryable }
  }
}

/** The on-disk ledger cannot be read back; the user may move it aside and rebuild from peers. */
export class LedgerCorruptError extends DevqError<{ path: string, detail: string, rebuildFlag: string }> {
  readonly name = 'LedgerCorruptError'
}

/** An event could not be encoded or signed locally (a bug in the caller, not bad network input). */
export class EventEncodeError extends DevqError<{ type: string, detail: string }> {
  readonly name = 'EventEncodeError'
}

/** A `.devq.yml` file is not valid; `data` locates the problem. */
export class PipelineError extends DevqError<{ file: string, line: number, col: number, key: string, detail: string }> {
  readonly name = 'PipelineError'
}

/** The ledger is closed or not yet open. */
export class LedgerClosedError extends DevqError<{ path: string }> {
  readonly name = 'LedgerClosedError'
}

/** Another process (or another ledger in this one) holds the LevelDB lock on the ledger store. */
export class LedgerLockedError extends DevqError<{ path: string }> {
  readonly name = 'LedgerLockedError'
}

/**
 * Writing to the ledger store failed. The ledger has closed itself because its fold may be ahead
 * of the disk; open a new ledger with a fresh fold to continue.
 */
export class LedgerWriteError extends DevqError<{ path: string, detail: string }> {
  readonly name = 'LedgerWriteError'
}

/** This peer's own event was refused by its own ledger (e.g. this peer is not a member of the team). */
export class LedgerAppendError extends DevqError<{ type: string, reason: string, detail: string }> {
  readonly name = 'LedgerAppendError'
}

/** Scheduler tunables that cannot keep their promises (e.g. a fence margin as long as the lease). */
export class PolicyError extends DevqError<{ key: string, detail: string }> {
  readonly name = 'PolicyError'
}
