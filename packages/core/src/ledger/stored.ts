/** Decoding of events this ledger stored itself after full validation. */
import { hash } from 'node:crypto'
import type { DecodedEvent, LedgerEvent } from '../events/envelope.ts'

const SIG_FIELD = Buffer.from(',"sig":"')

/**
 * A stored event whose `signed` bytes are derived only when asked for. On reopen nothing asks
 * (signatures were checked on ingest), and not holding a second copy of every event keeps the
 * garbage collector out of the way of a 100k-event rebuild.
 */
class StoredEvent implements DecodedEvent {
  readonly id: string
  readonly event: LedgerEvent
  readonly bytes: Buffer
  #signed: Uint8Array | undefined

  constructor (id: string, event: LedgerEvent, bytes: Buffer) {
    this.id = id
    this.event = event
    this.bytes = bytes
  }

  /**
   * Stored bytes are canonical (keys sorted: ..., seq, sig, time, ...), so the signed bytes are the
   * stored bytes minus the `,"sig":"..."` member; only plain envelope fields follow the body, so
   * its last occurrence is the top-level one.
   */
  get signed (): Uint8Array {
    if (this.#signed === undefined) {
      const at = this.bytes.lastIndexOf(SIG_FIELD)
      const close = this.bytes.indexOf(0x22, at + SIG_FIELD.length)
      this.#signed = Buffer.concat([this.bytes.subarray(0, at), this.bytes.subarray(close + 1)])
    }
    return this.#signed
  }
}

/**
 * `decodeTrusted` for the ledger's own store: the same id, event, bytes and signed bytes, without
 * re-encoding anything. Throws if `bytes` are not JSON; the caller checks the event against its key.
 */
export function decodeStored (bytes: Uint8Array, id?: string): DecodedEvent {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const event = JSON.parse(buf.toString('utf8')) as LedgerEvent
  // The one-shot hash is the same sha256 hex as sha256Hex, at a third of the cost per call.
  return new StoredEvent(id ?? hash('sha256', buf, 'hex'), event, buf)
}
