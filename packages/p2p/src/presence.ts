/**
 * Signed presence. Gossip runs with StrictNoSign (no libp2p-level author), so each heartbeat carries
 * its own proof: `{info, boot, seq, sig}` where `sig` is the Ed25519 signature (base64url) of
 * `info.peer`'s key over core's canonical encoding of `{info, boot, seq}`. Whoever forwards it,
 * only `info.peer` can have made it. `boot` is random per process start and `seq` counts the
 * heartbeats of that boot, so freshness never reads the sender's wall clock.
 */
import { canonicalBytes, PresenceInfo, type Signer, type Verifier } from '@devq/core'
import { PresenceEncodeError } from './errors.ts'
import { MAX_PRESENCE_MESSAGE_BYTES, PRESENCE_MAX_TRACKED_PEERS, PRESENCE_RETIRED_BOOTS } from './limits.ts'

const SIG = /^[A-Za-z0-9_-]{86}$/
/** What a boot id looks like: 16 random bytes in base64url. */
export const PRESENCE_BOOT = /^[A-Za-z0-9_-]{22}$/

/** Why a presence message was not taken. `stale` is ignored; the rest are rejected. */
export type PresenceReason = 'too_large' | 'malformed' | 'bad_schema' | 'not_member' | 'bad_signature' | 'stale'

/** The validator's answer for one presence message. Never thrown. */
export type PresenceVerdict =
  | { ok: true, info: PresenceInfo }
  | { ok: false, reason: PresenceReason, detail: string }

/** Which heartbeat of which process start a message is: `boot` (22 base64url chars) and `seq` (from 1). */
export interface PresenceStamp {
  boot: string
  seq: number
}

/**
 * Signs and encodes this peer's heartbeat with its stamp. Throws PresenceEncodeError if `info` is
 * invalid, names another peer, the stamp is malformed, or it encodes larger than MAX_PRESENCE_MESSAGE_BYTES.
 */
export async function encodePresence (signer: Signer, info: PresenceInfo, stamp: PresenceStamp): Promise<Uint8Array> {
  const parsed = PresenceInfo.safeParse(info)
  if (!parsed.success) throw new PresenceEncodeError(`invalid presence: ${parsed.error.message}`, { detail: 'invalid info' })
  if (parsed.data.peer !== signer.peerId) throw new PresenceEncodeError(`presence names ${parsed.data.peer}, but this peer is ${signer.peerId}`, { detail: 'foreign peer' })
  if (!PRESENCE_BOOT.test(stamp.boot) || !Number.isSafeInteger(stamp.seq) || stamp.seq < 1) throw new PresenceEncodeError('invalid presence stamp', { detail: 'invalid stamp' })
  const signed = { info: parsed.data, boot: stamp.boot, seq: stamp.seq }
  const sig = Buffer.from(await signer.sign(canonicalBytes(signed))).toString('base64url')
  const bytes = canonicalBytes({ ...signed, sig })
  if (bytes.length > MAX_PRESENCE_MESSAGE_BYTES) throw new PresenceEncodeError(`presence is ${bytes.length} bytes > ${MAX_PRESENCE_MESSAGE_BYTES}`, { detail: 'too large' })
  return bytes
}

/** Checks incoming presence messages and remembers each peer's newest heartbeat stamp. */
export interface PresenceCheck {
  /**
   * Size cap, JSON, envelope and info schema, membership, signature, freshness. Never throws.
   * `from` is the peer the message came from: when that is the peer it names, the connection's
   * own authentication (Noise, under the team key) already proves who sent it, and the signature
   * is not checked again.
   */
  check(data: Uint8Array, from?: string): Promise<PresenceVerdict>
  /** Records a heartbeat this peer published, so a replay of it is stale too. */
  noteOwn(peer: string, stamp: PresenceStamp): void
  /** The stamps remembered now, to be kept across a restart (`PresenceCheckInit.remembered`). */
  stamps(): PresenceStamps
}

/** What a presence check needs. */
export interface PresenceCheckInit {
  verifier: Verifier
  isMember?: (peerId: string) => boolean
  maxTrackedPeers?: number
  /** Stamps kept from before a restart (see `stamps`). */
  remembered?: PresenceStamps
}

type Parsed = { ok: 'parsed', info: PresenceInfo, stamp: PresenceStamp, sig: Uint8Array }

function parseEnvelope (data: Uint8Array): PresenceVerdict | Parsed {
  if (data.length > MAX_PRESENCE_MESSAGE_BYTES) return { ok: false, reason: 'too_large', detail: `${data.length} bytes > ${MAX_PRESENCE_MESSAGE_BYTES}` }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `not JSON: ${(err as Error).message}` }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'bad_schema', detail: 'not an object' }
  const { info, boot, seq, sig, ...rest } = value as Record<string, unknown>
  if (Object.keys(rest).length > 0) return { ok: false, reason: 'bad_schema', detail: 'unknown keys' }
  if (typeof sig !== 'string' || !SIG.test(sig)) return { ok: false, reason: 'bad_schema', detail: 'sig is not a base64url Ed25519 signature' }
  if (typeof boot !== 'string' || !PRESENCE_BOOT.test(boot)) return { ok: false, reason: 'bad_schema', detail: 'boot is not 22 base64url characters' }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return { ok: false, reason: 'bad_schema', detail: 'seq is not a positive integer' }
  const parsed = PresenceInfo.safeParse(info)
  if (!parsed.success) return { ok: false, reason: 'bad_schema', detail: parsed.error.message }
  return { ok: 'parsed', info: parsed.data, stamp: { boot, seq }, sig: Buffer.from(sig, 'base64url') }
}

/** The newest stamp taken from one peer, and the boots it has left behind. */
interface Newest {
  boot: string
  seq: number
  retired: string[]
}


/**
 * The newest stamp taken from each peer, as kept across restarts: a heartbeat recorded before a
 * restart and replayed after it is still stale. Whoever reads them back from disk checks them.
 */
export type PresenceStamps = Record<string, { boot: string, seq: number, retired: string[] }>

/** Whether `stamp` is newer than what was taken before: a later seq of the same boot, or a boot never seen. */
function fresh (last: Newest | undefined, stamp: PresenceStamp): boolean {
  if (last === undefined) return true
  if (stamp.boot === last.boot) return stamp.seq > last.seq
  return !last.retired.includes(stamp.boot)
}

/**
 * Creates a presence check. Freshness: a heartbeat whose `(boot, seq)` is not newer than the last
 * one taken from the same peer is `stale`, so a replayed heartbeat cannot make a dead peer look
 * live, while a peer whose wall clock steps back stays visible. A new boot is taken (the peer
 * restarted); the last PRESENCE_RETIRED_BOOTS boots of a peer are remembered and refused.
 */
export function createPresenceCheck (init: PresenceCheckInit): PresenceCheck {
  const maxTracked = init.maxTrackedPeers ?? PRESENCE_MAX_TRACKED_PEERS
  const newest = new Map<string, Newest>(Object.entries(init.remembered ?? {}).slice(0, maxTracked))
  const remember = (peer: string, stamp: PresenceStamp): void => {
    const last = newest.get(peer)
    newest.delete(peer)
    if (newest.size >= maxTracked) {
      const oldest = newest.keys().next()
      if (oldest.done !== true) newest.delete(oldest.value)
    }
    const retired = last === undefined ? [] : last.boot === stamp.boot ? last.retired : [last.boot, ...last.retired].slice(0, PRESENCE_RETIRED_BOOTS)
    newest.set(peer, { boot: stamp.boot, seq: stamp.seq, retired })
  }
  return {
    async check (data, from) {
      const env = parseEnvelope(data)
      if (env.ok !== 'parsed') return env
      const { info, stamp, sig } = env
      if (init.isMember !== undefined && !init.isMember(info.peer)) return { ok: false, reason: 'not_member', detail: `${info.peer} is not a member` }
      if (from !== info.peer) {
        const message = canonicalBytes({ info, boot: stamp.boot, seq: stamp.seq })
        const [valid] = await init.verifier.verifyBatch([{ author: info.peer, message, signature: sig }])
        if (valid !== true) return { ok: false, reason: 'bad_signature', detail: `signature does not verify against ${info.peer}` }
      }
      // Checked after the await so concurrent validations of one peer see each other's updates.
      const last = newest.get(info.peer)
      if (!fresh(last, stamp)) return { ok: false, reason: 'stale', detail: `boot ${stamp.boot} seq ${stamp.seq} is not newer than boot ${last!.boot} seq ${last!.seq}` }
      remember(info.peer, stamp)
      return { ok: true, info }
    },
    noteOwn (peer, stamp) {
      if (fresh(newest.get(peer), stamp)) remember(peer, stamp)
    },
    stamps () {
      return Object.fromEntries(newest)
    }
  }
}
