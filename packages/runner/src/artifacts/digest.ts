/**
 * Digests as the ledger spells them: `sha256:` and 64 lowercase hex digits. Every digest is checked
 * here before it becomes part of a path, so a name or a malformed digest never reaches the disk.
 */
import type { Hash } from 'node:crypto'
import { artifactError } from './refusal.ts'

const DIGEST = /^sha256:[0-9a-f]{64}$/

/** Whether `value` is a well-formed `sha256:<hex>` digest. */
export function isDigest (value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value)
}

/**
 * The 64 hex digits of a digest.
 * @throws {ArtifactError} `not_found` when `digest` is not a sha256 digest (nothing can be held under it).
 */
export function digestHex (digest: string): string {
  if (!isDigest(digest)) throw artifactError(String(digest).slice(0, 80), 'not_found', 'is not a sha256:<64 hex> digest')
  return digest.slice('sha256:'.length)
}

/** The digest of what `hash` (a sha256 hash) has seen. Consumes the hash. */
export function digestOf (hash: Hash): string {
  return `sha256:${hash.digest('hex')}`
}
