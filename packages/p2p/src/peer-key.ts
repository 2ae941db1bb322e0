/**
 * This peer's identity: an Ed25519 libp2p private key kept in the data dir, so the peer id (and so
 * the ledger author) stays the same across restarts. The same key signs ledger events and presence.
 */
import { link, mkdir, open, unlink } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { createSeedSigner, type Signer } from '@devq/core'
import { PeerKeyError } from './errors.ts'

/** File name of the key inside the data dir: the libp2p protobuf encoding of the private key. */
export const PEER_KEY_FILE = 'peer.key'
/** A protobuf-encoded Ed25519 key is 68 bytes; anything much larger is not one. */
const MAX_KEY_FILE_BYTES = 1024

/** This peer's key, its id and a core `Signer` over it. */
export interface PeerKey {
  readonly privateKey: Ed25519PrivateKey
  /** The libp2p peer id string ("12D3KooW..."); equals `signer.peerId`. */
  readonly peerId: string
  readonly signer: Signer
  /** Where the key is stored. */
  readonly path: string
  /** True when this call generated the key. */
  readonly created: boolean
}

/**
 * A core Signer for a libp2p Ed25519 key. The key's raw form is seed (32 bytes) then public key;
 * the signer derives the public key from the seed again, so a mismatch means a corrupt key.
 */
export function signerFromPrivateKey (privateKey: Ed25519PrivateKey): Signer {
  const signer = createSeedSigner(privateKey.raw.subarray(0, 32))
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  if (signer.peerId !== peerId) throw new PeerKeyError('the private key does not match its own public key', { path: '', detail: `seed gives ${signer.peerId}, key says ${peerId}` })
  return signer
}

function decodeKey (bytes: Uint8Array, path: string): Ed25519PrivateKey {
  if (bytes.length > MAX_KEY_FILE_BYTES) throw new PeerKeyError(`${path} is ${bytes.length} bytes, not a peer key`, { path, detail: 'too large' })
  let key
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new PeerKeyError(`${path} is not a libp2p private key: ${(err as Error).message}`, { path, detail: 'unreadable' }, { cause: err })
  }
  if (key.type !== 'Ed25519') throw new PeerKeyError(`${path} holds a ${key.type} key; DevQ peers use Ed25519`, { path, detail: 'wrong key type' })
  return key
}

/**
 * Refuses a key that group or others may access, as ssh does: the fix (chmod) is the owner's to
 * make, and a key that was open may have been copied already.
 */
function checkMode (path: string, mode: number): void {
  if ((mode & 0o077) === 0) return
  const octal = (mode & 0o777).toString(8).padStart(4, '0')
  throw new PeerKeyError(`permissions ${octal} of ${path} are too open: it holds this peer's private key, so group and others must have no access; run chmod 600 ${path}`, { path, detail: 'permissions' })
}

/** The key file's bytes, or undefined when there is none. The mode is checked on the opened file. */
async function readExisting (path: string): Promise<Uint8Array | undefined> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new PeerKeyError(`cannot read ${path}: ${(err as Error).message}`, { path, detail: String(err) }, { cause: err })
  }
  try {
    checkMode(path, (await handle.stat()).mode)
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/**
 * Writes `bytes` to `path` only if no file is there: a temp file (0600, fsynced) is hard-linked
 * into place, which fails if another process got there first. Returns false in that case.
 */
async function createExclusive (path: string, bytes: Uint8Array): Promise<boolean> {
  const tmp = `${path}.tmp-${randomBytes(8).toString('hex')}`
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await link(tmp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

function result (privateKey: Ed25519PrivateKey, path: string, created: boolean): PeerKey {
  let signer: Signer
  try {
    signer = signerFromPrivateKey(privateKey)
  } catch (err) {
    throw new PeerKeyError(`${path} holds a corrupt key`, { path, detail: (err as Error).message }, { cause: err })
  }
  return { privateKey, peerId: signer.peerId, signer, path, created }
}

/**
 * Loads this peer's key from `<dataDir>/peer.key`, or creates one (file mode 0600; the data dir is
 * created with mode 0700 if missing). Safe to call concurrently from several processes: they all
 * end up with the same key. Throws PeerKeyError for an unreadable, foreign or corrupt key file, and
 * for one that group or others may access (`detail` `permissions`).
 */
export async function loadOrCreatePeerKey (dataDir: string): Promise<PeerKey> {
  const path = join(dataDir, PEER_KEY_FILE)
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new PeerKeyError(`cannot create the data dir ${dataDir}: ${(err as Error).message}`, { path, detail: String(err) }, { cause: err })
  }
  const existing = await readExisting(path)
  if (existing !== undefined) return result(decodeKey(existing, path), path, false)
  const fresh = await generateKeyPair('Ed25519')
  let created: boolean
  try {
    created = await createExclusive(path, privateKeyToProtobuf(fresh))
  } catch (err) {
    throw new PeerKeyError(`cannot write ${path}: ${(err as Error).message}`, { path, detail: String(err) }, { cause: err })
  }
  if (created) return result(fresh, path, true)
  const winner = await readExisting(path)
  if (winner === undefined) throw new PeerKeyError(`${path} vanished while it was being created`, { path, detail: 'race' })
  return result(decodeKey(winner, path), path, false)
}
