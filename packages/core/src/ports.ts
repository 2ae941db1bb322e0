/**
 * The ports through which the pure core talks to the world. Adapters live in other packages
 * (p2p provides the peer key, node provides pino and the real clocks); core ships plain defaults.
 */

/** Time source. `monotonicMs` never goes backwards and judges leases; `wallMs` is for display and aging only. */
export interface Clock {
  /** Milliseconds on a monotonic clock local to this process (not comparable across peers). */
  monotonicMs(): number
  /** Milliseconds since the Unix epoch on this peer's wall clock. */
  wallMs(): number
}

/** Structured logger; pino's child loggers satisfy it. */
export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

/** Signs with this peer's Ed25519 key. `peerId` is the libp2p peer id string of that key. */
export interface Signer {
  readonly peerId: string
  /** Ed25519 signature (64 bytes) over `data`. */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>
}

/** One signature to check: `author` is a peer id that embeds its Ed25519 public key. */
export interface VerifyItem {
  author: string
  message: Uint8Array
  signature: Uint8Array
}

/**
 * Verifies Ed25519 signatures in batches. Implementations may spread a batch over threads; the
 * result has one boolean per item, in order. Never throws for a bad key or signature: that is `false`.
 */
export interface Verifier {
  verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]>
  close?(): Promise<void>
}

/** The real clocks of this process. */
export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now()
}

/** A logger that drops everything, for tests and tools that do not log. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger
}

/**
 * An ordered, reliable byte stream to one peer: a libp2p stream in `p2p`, a socket in tests.
 * Reading and writing may go on at once; each side is used by one task at a time.
 */
export interface ByteStream {
  /** Chunks from the remote until it ends its side. Throws if the stream is aborted or reset. Iterate once. */
  readonly source: AsyncIterable<Uint8Array>
  /** Queues one chunk; resolves when the stream can take more (backpressure). Rejects once closed or aborted. */
  write(chunk: Uint8Array): Promise<void>
  /** Ends this side, so the remote's reads finish; resolves once queued data is handed to the transport. */
  end(): Promise<void>
  /** Closes both sides at once; the remote's reads throw. Idempotent. */
  abort(err: Error): void
}
