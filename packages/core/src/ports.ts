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
