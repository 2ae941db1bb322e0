/**
 * Signed presence. Gossip runs with StrictNoSign (no libp2p-level author), so each heartbeat carries
 * its own proof: `{info, sig}` where `sig` is the Ed25519 signature (base64url) of `info.peer`'s key
 * over core's canonical encoding of `info`. Whoever forwards it, only `info.peer` can have made it.
 */
import { canonicalBytes, PresenceInfo, type Signer, type Verifier } from '@devq/core'
import { PresenceEncodeError } from './errors.ts'
import { MAX_PRESENCE_MESSAGE_BYTES, PRESENCE_MAX_TRACKED_PEERS } from './limits.ts'

const SIG = /^[A-Za-z0-9_-]{86}$/

/** Why a presence message was not taken. `stale` is ignored; the rest are rejected. */
export type PresenceReason = 'too_large' | 'malformed' | 'bad_schema' | 'not_member' | 'bad_signature' | 'stale'

/** The validator's answer for one presence message. Never thrown. */
export type PresenceVerdict =
  | { ok: true, info: PresenceInfo }
  | { ok: false, reason: PresenceReason, detail: string }

/**
 * Signs and encodes this peer's heartbeat. Throws PresenceEncodeError if `info` is invalid, names
 * another peer, or encodes larger than MAX_PRESENCE_MESSAGE_BYTES.
 */
export async function encodePresence (signer: Signer, info: PresenceInfo): Promise<Uint8Array> {
  const parsed = PresenceInfo.safeParse(info)
  if (!parsed.success) throw new PresenceEncodeError(`invalid presence: ${parsed.error.message}`, { detail: 'invalid info' })
  if (parsed.data.peer !== signer.peerId) throw new PresenceEncodeError(`presence names ${parsed.data.peer}, but this peer is ${signer.peerId}`, { detail: 'foreign peer' })
  const sig = Buffer.from(await signer.sign(canonicalBytes(parsed.data))).toString('base64url')
  const bytes = canonicalBytes({ info: parsed.data, sig })
  if (bytes.length > MAX_PRESENCE_MESSAGE_BYTES) throw new PresenceEncodeError(`presence is ${bytes.length} bytes > ${MAX_PRESENCE_MESSAGE_BYTES}`, { detail: 'too large' })
  return bytes
}

/** Checks incoming presence messages and remembers each peer's newest heartbeat time. */
export interface PresenceCheck {
  /** Size cap, JSON, envelope and info schema, membership, signature, freshness. Never throws. */
  check(data: Uint8Array): Promise<PresenceVerdict>
  /** Records a heartbeat this peer published, so a replay of it is stale too. */
  noteOwn(info: PresenceInfo): void
}

/** What a presence check needs. */
export interface PresenceCheckInit {
  verifier: Verifier
  isMember?: (peerId: string) => boolean
  maxTrackedPeers?: number
}

function parseEnvelope (data: Uint8Array): PresenceVerdict | { ok: 'parsed', info: PresenceInfo, sig: Uint8Array } {
  if (data.length > MAX_PRESENCE_MESSAGE_BYTES) return { ok: false, reason: 'too_large', detail: `${data.length} bytes > ${MAX_PRESENCE_MESSAGE_BYTES}` }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `not JSON: ${(err as Error).message}` }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'bad_schema', detail: 'not an object' }
  const { info, sig, ...rest } = value as Record<string, unknown>
  if (Object.keys(rest).length > 0) return { ok: false, reason: 'bad_schema', detail: 'unknown keys' }
  if (typeof sig !== 'string' || !SIG.test(sig)) return { ok: false, reason: 'bad_schema', detail: 'sig is not a base64url Ed25519 signature' }
  const parsed = PresenceInfo.safeParse(info)
  if (!parsed.success) return { ok: false, reason: 'bad_schema', detail: parsed.error.message }
  return { ok: 'parsed', info: parsed.data, sig: Buffer.from(sig, 'base64url') }
}

/**
 * Creates a presence check. Freshness: a heartbeat whose `time` is not newer than the last one
 * taken from the same peer is `stale`, so a replayed heartbeat cannot make a dead peer look live.
 */
export function createPresenceCheck (init: PresenceCheckInit): PresenceCheck {
  const maxTracked = init.maxTrackedPeers ?? PRESENCE_MAX_TRACKED_PEERS
  const newest = new Map<string, number>()
  const remember = (peer: string, time: number): void => {
    newest.delete(peer)
    if (newest.size >= maxTracked) {
      const oldest = newest.keys().next()
      if (oldest.done !== true) newest.delete(oldest.value)
    }
    newest.set(peer, time)
  }
  return {
    async check (data) {
      const env = parseEnvelope(data)
      if (env.ok !== 'parsed') return env
      const { info, sig } = env
      if (init.isMember !== undefined && !init.isMember(info.peer)) return { ok: false, reason: 'not_member', detail: `${info.peer} is not a member` }
      const [valid] = await init.verifier.verifyBatch([{ author: info.peer, message: canonicalBytes(info), signature: sig }])
      if (valid !== true) return { ok: false, reason: 'bad_signature', detail: `signature does not verify against ${info.peer}` }
      // Checked after the await so concurrent validations of one peer see each other's updates.
      const last = newest.get(info.peer)
      if (last !== undefined && info.time <= last) return { ok: false, reason: 'stale', detail: `time ${info.time} <= last seen ${last}` }
      remember(info.peer, info.time)
      return { ok: true, info }
    },
    noteOwn (info) {
      const last = newest.get(info.peer)
      if (last === undefined || info.time > last) remember(info.peer, info.time)
    }
  }
}
