/**
 * Texts of small blobs already read, by object id. A blob id names its content, so a text read
 * once stands for that id in any repository: a pipeline file that did not change between two
 * commits is read again without a git process or an inflate. Bounded by count and by bytes, the
 * least recently used dropped first.
 */

/** Most texts kept. */
const MAX_ENTRIES = 64
/** Most bytes (UTF-16 code units, counted as bytes) kept over all texts. */
const MAX_TOTAL = 1024 * 1024
/** A text longer than this is not kept: pipeline files are far smaller. */
const MAX_ONE = 64 * 1024

const texts = new Map<string, { text: string, bytes: number }>()
let total = 0

/** The text and byte length of blob `oid`, if it was read before. */
export function knownBlobText (oid: string): { text: string, bytes: number } | undefined {
  const hit = texts.get(oid)
  if (hit === undefined) return undefined
  texts.delete(oid)
  texts.set(oid, hit)
  return hit
}

/** Keeps the text of blob `oid` (`bytes` long when encoded as UTF-8). */
export function rememberBlobText (oid: string, text: string, bytes: number): void {
  if (bytes > MAX_ONE || texts.has(oid)) return
  texts.set(oid, { text, bytes })
  total += text.length
  while (texts.size > MAX_ENTRIES || total > MAX_TOTAL) {
    const [oldest, entry] = texts.entries().next().value!
    texts.delete(oldest)
    total -= entry.text.length
  }
}
