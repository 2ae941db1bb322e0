import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto'
import { base58btc } from 'multiformats/bases/base58'
import type { Signer } from '../ports.ts'

/**
 * libp2p peer ids for Ed25519 keys are the identity multihash of the protobuf-encoded public key
 * (`0x00 0x24 | 0x08 0x01 0x12 0x20 | key`), base58btc without the multibase prefix ("12D3KooW...").
 * Core decodes them itself so it can verify signatures without depending on libp2p.
 */
const PREFIX = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** The peer id string for a raw 32-byte Ed25519 public key. */
export function peerIdFromPublicKey (raw: Uint8Array): string {
  if (raw.length !== 32) throw new RangeError('Ed25519 public key must be 32 bytes')
  const bytes = new Uint8Array(PREFIX.length + 32)
  bytes.set(PREFIX, 0)
  bytes.set(raw, PREFIX.length)
  return base58btc.encode(bytes).slice(1)
}

/** The raw 32-byte Ed25519 public key inside a peer id, or `undefined` if it is not an Ed25519 peer id. */
export function publicKeyFromPeerId (peerId: string): Uint8Array | undefined {
  if (peerId.length < 40 || peerId.length > 64) return undefined
  let bytes: Uint8Array
  try {
    bytes = base58btc.decode('z' + peerId)
  } catch {
    return undefined
  }
  if (bytes.length !== PREFIX.length + 32) return undefined
  for (let i = 0; i < PREFIX.length; i++) if (bytes[i] !== PREFIX[i]) return undefined
  return bytes.slice(PREFIX.length)
}

/** A node:crypto public KeyObject for a peer id, or `undefined` if the id does not embed an Ed25519 key. */
export function keyObjectFromPeerId (peerId: string): KeyObject | undefined {
  const raw = publicKeyFromPeerId(peerId)
  if (raw === undefined) return undefined
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
}

/** A Signer over a raw 32-byte Ed25519 seed (the private key libp2p stores). */
export function createSeedSigner (seed: Uint8Array): Signer {
  if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes')
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  const peerId = peerIdFromPublicKey(spki.subarray(SPKI_PREFIX.length))
  return { peerId, sign: (data) => edSign(null, data, privateKey) }
}

/** A Signer with a fresh random key: for tests, the simulator and benches. */
export function generateSigner (): Signer {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' })
  return createSeedSigner(pkcs8.subarray(PKCS8_PREFIX.length))
}
