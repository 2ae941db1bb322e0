import { createHash } from 'node:crypto'
import { z } from 'zod'
import { canonicalBytes } from './canonical.ts'
import { bodySchemas, EventId, PeerIdString, type BodyOf, type EventType } from './bodies.ts'
import type { Signer } from '../ports.ts'
import { EventEncodeError } from '../errors.ts'

/** Largest encoded event accepted from anywhere, in bytes. */
export const MAX_EVENT_BYTES = 64 * 1024
/** Envelope version this code writes and reads. */
export const EVENT_VERSION = 1

const Envelope = z.strictObject({
  v: z.literal(EVENT_VERSION),
  author: PeerIdString,
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  prev: EventId.nullable(),
  lamport: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  time: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  type: z.string().max(64),
  body: z.unknown(),
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'expected a base64url Ed25519 signature')
})

/** A signed ledger event of type `T`, as defined in DESIGN.md ("The ledger"). */
export interface LedgerEventOf<T extends EventType> {
  v: typeof EVENT_VERSION
  author: string
  seq: number
  prev: string | null
  lamport: number
  time: number
  type: T
  body: BodyOf<T>
  sig: string
}

/** Any ledger event; narrow on `type`. */
export type LedgerEvent = { [T in EventType]: LedgerEventOf<T> }[EventType]

/** An event with its id and the exact bytes its id and signature cover. Immutable once made. */
export interface DecodedEvent {
  /** sha256 (hex) of `bytes`. */
  readonly id: string
  readonly event: LedgerEvent
  /** Canonical encoding of the whole event, signature included: what is stored and sent. */
  readonly bytes: Uint8Array
  /** Canonical encoding without `sig`: what the signature covers. */
  readonly signed: Uint8Array
}

/** Why an event was not accepted. Every rejection is counted under one of these. */
export const REJECT_REASONS = [
  'too_large', 'malformed', 'not_canonical', 'bad_schema', 'unknown_type', 'bad_signature',
  'bad_prev', 'gap', 'not_member', 'faulty_author', 'bad_lamport', 'lamport_ahead'
] as const
export type RejectReason = typeof REJECT_REASONS[number]

/** The result of decoding untrusted bytes: never throws. */
export type DecodeResult =
  | { ok: true, value: DecodedEvent }
  | { ok: false, reason: RejectReason, detail: string }

/** sha256 of `bytes` as lowercase hex. */
export function sha256Hex (bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function finish (event: LedgerEvent): DecodedEvent {
  const { sig: _sig, ...unsigned } = event
  const bytes = canonicalBytes(event)
  return { id: sha256Hex(bytes), event, bytes, signed: canonicalBytes(unsigned) }
}

/** The body schema of `type`, looked up by own key only (so `constructor` is no type). */
function schemaOf (type: string): z.ZodType | undefined {
  return Object.hasOwn(bodySchemas, type) ? bodySchemas[type as EventType] as z.ZodType : undefined
}

/**
 * Checks an already-parsed value as an event. Does not verify the signature (that is batched).
 * The signature must be spelled canonically: 86 base64url characters carry 516 bits for 512, and
 * a re-spelling with other unused bits would be a second event with another id.
 */
export function decodeEventValue (value: unknown): DecodeResult {
  const env = Envelope.safeParse(value)
  if (!env.success) return { ok: false, reason: 'bad_schema', detail: z.prettifyError(env.error) }
  const schema = schemaOf(env.data.type)
  if (schema === undefined) return { ok: false, reason: 'unknown_type', detail: `unknown event type ${JSON.stringify(env.data.type)}` }
  if (Buffer.from(env.data.sig, 'base64url').toString('base64url') !== env.data.sig) {
    return { ok: false, reason: 'not_canonical', detail: 'the signature is not in canonical base64url (its unused bits are set)' }
  }
  const body = schema.safeParse(env.data.body)
  if (!body.success) return { ok: false, reason: 'bad_schema', detail: `${env.data.type}: ${z.prettifyError(body.error)}` }
  if ((env.data.seq === 1) !== (env.data.prev === null)) {
    return { ok: false, reason: 'bad_prev', detail: 'prev must be null exactly when seq is 1' }
  }
  const decoded = finish({ ...env.data, body: body.data } as LedgerEvent)
  if (decoded.bytes.length > MAX_EVENT_BYTES) return { ok: false, reason: 'too_large', detail: `${decoded.bytes.length} bytes > ${MAX_EVENT_BYTES}` }
  return { ok: true, value: decoded }
}

/** Decodes untrusted bytes (from the network or the disk) into an event, capped at MAX_EVENT_BYTES. */
export function decodeEvent (bytes: Uint8Array): DecodeResult {
  if (bytes.length > MAX_EVENT_BYTES) return { ok: false, reason: 'too_large', detail: `${bytes.length} bytes > ${MAX_EVENT_BYTES}` }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `not JSON: ${(err as Error).message}` }
  }
  const res = decodeEventValue(value)
  // One event has one spelling: whitespace, key order, number forms or escapes that differ from
  // the canonical bytes would give the same event a second id.
  if (res.ok && Buffer.compare(res.value.bytes, bytes) !== 0) {
    return { ok: false, reason: 'not_canonical', detail: 'the event is not in canonical JSON (sorted keys, no whitespace, shortest numbers and escapes)' }
  }
  return res
}

/**
 * Re-creates a DecodedEvent from bytes this peer stored itself after full validation. Skips schema
 * checks (they passed on ingest), so reopening a large ledger is fast.
 */
export function decodeTrusted (bytes: Uint8Array, id?: string): DecodedEvent {
  const event = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as LedgerEvent
  const { sig: _sig, ...unsigned } = event
  return { id: id ?? sha256Hex(bytes), event, bytes, signed: canonicalBytes(unsigned) }
}

/** Chain position and clocks of a new event, chosen by the ledger that appends it. */
export interface EventHeader {
  seq: number
  prev: string | null
  lamport: number
  time: number
}

/** Creates and signs an event. Throws EventEncodeError if the body does not fit its schema. */
export async function createEvent<T extends EventType> (signer: Signer, header: EventHeader, type: T, body: BodyOf<T>): Promise<DecodedEvent> {
  const schema = schemaOf(type)
  if (schema === undefined) throw new EventEncodeError(`unknown event type ${JSON.stringify(type)}`, { type, detail: 'unknown type' })
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw new EventEncodeError(`invalid ${type} body: ${z.prettifyError(parsed.error)}`, { type, detail: z.prettifyError(parsed.error) })
  const unsigned = { v: EVENT_VERSION, author: signer.peerId, ...header, type, body: parsed.data }
  const sig = Buffer.from(await signer.sign(canonicalBytes(unsigned))).toString('base64url')
  const decoded = finish({ ...unsigned, sig } as LedgerEvent)
  if (decoded.bytes.length > MAX_EVENT_BYTES) throw new EventEncodeError(`${type} event is ${decoded.bytes.length} bytes`, { type, detail: 'too large' })
  return decoded
}

/** The raw 64-byte signature of an event. */
export function signatureBytes (event: LedgerEvent): Uint8Array {
  return Buffer.from(event.sig, 'base64url')
}
