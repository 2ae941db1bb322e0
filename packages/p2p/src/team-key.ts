/**
 * The team key: a libp2p private-network pre-shared key (32 random bytes) in the text format that
 * @libp2p/pnet's `generateKey` writes: "/key/swarm/psk/1.0.0/\n/base16/\n<64 hex digits>".
 * A peer with another key cannot complete a connection to the mesh.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { TeamKeyError } from './errors.ts'

const HEADER = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'
const KEY_BYTES = 32
/** A team key file is three short lines; anything longer is not one. */
const MAX_TEXT_BYTES = 256

/**
 * A team key. The secret is kept in a private field and `toString`/`toJSON` show only the
 * fingerprint, so logging a key by accident does not leak it.
 */
export class TeamKey {
  readonly #secret: Uint8Array
  /** First 16 hex digits of sha256(secret): safe to log and show, to tell keys apart. */
  readonly fingerprint: string

  constructor (secret: Uint8Array) {
    if (secret.length !== KEY_BYTES) throw new TeamKeyError(`a team key is ${KEY_BYTES} bytes, got ${secret.length}`, { detail: 'wrong length' })
    this.#secret = Uint8Array.from(secret)
    this.fingerprint = createHash('sha256').update(this.#secret).digest('hex').slice(0, 16)
  }

  /** A copy of the 32 secret bytes. */
  secret (): Uint8Array {
    return Uint8Array.from(this.#secret)
  }

  /** Whether both keys hold the same secret. */
  equals (other: TeamKey): boolean {
    return timingSafeEqual(this.#secret, other.secret())
  }

  toString (): string {
    return `TeamKey(${this.fingerprint})`
  }

  toJSON (): string {
    return this.toString()
  }
}

/** A new random team key. */
export function generateTeamKey (): TeamKey {
  return new TeamKey(randomBytes(KEY_BYTES))
}

/** The key file text, exactly as @libp2p/pnet writes it (no trailing newline). */
export function formatTeamKey (key: TeamKey): string {
  return `${HEADER}\n${CODEC}\n${Buffer.from(key.secret()).toString('hex')}`
}

/**
 * Parses a team key file (text or its UTF-8 bytes). Accepts CRLF line ends and trailing blank
 * lines; throws TeamKeyError naming what is wrong (never echoing the key).
 */
export function parseTeamKey (input: string | Uint8Array): TeamKey {
  if (input.length > MAX_TEXT_BYTES) throw new TeamKeyError(`a team key file is under ${MAX_TEXT_BYTES} bytes; this input is ${input.length}`, { detail: 'too long' })
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8')
  const lines = text.split(/\r\n|\r|\n/)
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop()
  if (lines.length !== 3) throw new TeamKeyError(`a team key has 3 lines (${HEADER}, ${CODEC}, the key); found ${lines.length}`, { detail: 'wrong line count' })
  const [header, codec, hex] = lines.map((l) => l.trim())
  if (header !== HEADER) throw new TeamKeyError(`a team key starts with ${HEADER}`, { detail: 'wrong header' })
  if (codec !== CODEC) throw new TeamKeyError(`only the ${CODEC} encoding is supported`, { detail: 'wrong codec' })
  if (hex === undefined || !/^[0-9a-fA-F]{64}$/.test(hex)) throw new TeamKeyError(`the key line must be ${KEY_BYTES * 2} hex digits`, { detail: 'bad key line' })
  return new TeamKey(Buffer.from(hex, 'hex'))
}

/** The key file bytes @libp2p/pnet's `preSharedKey` takes. */
export function teamKeyPsk (key: TeamKey): Uint8Array {
  return new TextEncoder().encode(formatTeamKey(key))
}
