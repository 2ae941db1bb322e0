import { verify, type KeyObject } from 'node:crypto'
import { keyObjectFromPeerId } from './peer-id.ts'
import type { Verifier, VerifyItem } from '../ports.ts'

/** Caches public KeyObjects per author: a team has few authors and parsing a key costs more than a verify. */
export class KeyCache {
  private readonly keys = new Map<string, KeyObject | null>()

  get (peerId: string): KeyObject | undefined {
    let key = this.keys.get(peerId)
    if (key === undefined) {
      key = keyObjectFromPeerId(peerId) ?? null
      if (this.keys.size > 10_000) this.keys.clear()
      this.keys.set(peerId, key)
    }
    return key ?? undefined
  }
}

/** Verifies one signature against the key embedded in the author's peer id. */
export function verifyOne (cache: KeyCache, item: VerifyItem): boolean {
  const key = cache.get(item.author)
  if (key === undefined || item.signature.length !== 64) return false
  try {
    return verify(null, item.message, key, item.signature)
  } catch {
    return false
  }
}

/** Verifies on the calling thread. Simple and enough for small batches and tests. */
export function createInlineVerifier (): Verifier {
  const cache = new KeyCache()
  return { verifyBatch: async (items) => items.map((item) => verifyOne(cache, item)) }
}
