/**
 * Secret masking for step output, streamed: the output is the same however the input is split into
 * chunks, and no byte is held back unless it could still be the start of a secret.
 *
 * What is masked: every occurrence of each secret's UTF-8 bytes, of its base64 forms (standard and
 * URL-safe, each with and without `=` padding) and, for a multi-line secret, of its `\r\n` form (a
 * terminal turns `\n` into `\r\n`). Occurrences that overlap, even of different secrets, become one
 * `***`; occurrences that only touch become one `***` each.
 *
 * Short secrets: every non-empty secret is masked, even of one byte, because a leaked secret is
 * worse than an unreadable log. The cost is that a secret of 1-3 bytes (and its 2-4 character
 * base64 forms) masks every place those bytes appear, so such a log becomes hard to read, and each
 * occurrence of its first byte holds output back by a few bytes. Empty secrets are ignored.
 *
 * Limits: base64 forms are matched only where the secret's encoding starts on a 3-byte boundary of
 * the encoded text (as when the secret alone is encoded); a secret inside a longer encoded value at
 * another offset is not found. The mask `***` could join neighbouring bytes into a secret made only
 * of `*` characters.
 *
 * How: one Aho-Corasick automaton over all the forms. Its state is the longest input suffix that is
 * a prefix of some form, so it stands for every partial match at once (a failed partial match can
 * never hide a shorter one, the way retrying one byte later does). Memory is bounded by the longest
 * form plus the chunk being written; time is linear in the input.
 */

/** What replaces each run of overlapping secret occurrences. */
export const MASK = '***'

const MASK_BYTES = Buffer.from(MASK, 'latin1')

/** A streaming masker for one output stream. Not for concurrent use; `write` and `flush` are synchronous. */
export interface Redactor {
  /** Takes the next chunk; returns the masked bytes that can no longer be part of a secret (maybe none). */
  write(chunk: Uint8Array): Uint8Array
  /** Ends the stream: returns every byte still held back, masked. The redactor may then start a new stream. */
  flush(): Uint8Array
}

/** The byte strings masked for `secret`: itself, its base64 forms and, if multi-line, its CRLF form. */
export function secretForms (secret: string): Uint8Array[] {
  if (secret.length === 0) return []
  const raw = Buffer.from(secret, 'utf8')
  const std = raw.toString('base64')
  const url = raw.toString('base64url')
  const texts = [std, std.replace(/=+$/, ''), url, url + '='.repeat(std.length - url.length)]
  const forms = [raw, ...texts.map((t) => Buffer.from(t, 'latin1'))]
  if (secret.includes('\n')) forms.push(Buffer.from(secret.replace(/\r?\n/g, '\r\n'), 'utf8'))
  const seen = new Set<string>()
  return forms.filter((f) => {
    const key = f.toString('hex')
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Aho-Corasick automaton over bytes. State 0 is the root; `depth` is the length a state spells. */
interface Automaton {
  step(state: number, byte: number): number
  /** Length of the longest form ending at `state` (0 if none). */
  readonly longest: Int32Array
  readonly depth: Int32Array
  /** Non-zero for bytes that begin some form: the root's only way out. */
  readonly starts: Uint8Array
}

function buildAutomaton (forms: readonly Uint8Array[]): Automaton {
  const next: Array<Map<number, number>> = [new Map()]
  const ends: number[] = [0]
  const depths: number[] = [0]
  const starts = new Uint8Array(256)
  for (const form of forms) {
    let s = 0
    for (const b of form) {
      let t = next[s]!.get(b)
      if (t === undefined) {
        t = next.length
        next.push(new Map())
        ends.push(0)
        depths.push(depths[s]! + 1)
        next[s]!.set(b, t)
      }
      s = t
    }
    ends[s] = form.length
    starts[form[0]!] = 1
  }
  const fail = new Int32Array(next.length)
  const longest = Int32Array.from(ends)
  const step = (state: number, byte: number): number => {
    let s = state
    while (s !== 0 && !next[s]!.has(byte)) s = fail[s]!
    return next[s]!.get(byte) ?? 0
  }
  // Breadth-first, so every state's failure target (a shorter string) is complete before it.
  const queue = [...next[0]!.values()]
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!
    for (const [b, v] of next[u]!) {
      fail[v] = step(fail[u]!, b)
      longest[v] = Math.max(longest[v]!, longest[fail[v]!]!)
      queue.push(v)
    }
  }
  return { step, longest, depth: Int32Array.from(depths), starts }
}

/** A run of masked input, in absolute stream offsets, `end` exclusive. */
interface Span { start: number, end: number }

/** The streaming state over one automaton; see `createRedactor`. */
class StreamRedactor implements Redactor {
  private readonly auto: Automaton
  private state = 0
  private consumed = 0 // bytes of input taken so far
  private base = 0 // absolute offset of held[0]; everything before it is accounted for in the output
  private held: Uint8Array = new Uint8Array(0)
  private spans: Span[] = [] // found, not yet output; ordered, pairwise non-overlapping, all at or after `base`
  private maskEnd = -1 // end of the last span already output as MASK: an overlapping match only extends it

  constructor (auto: Automaton) {
    this.auto = auto
  }

  write (chunk: Uint8Array): Uint8Array {
    const dataBase = this.base
    const data = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk])
    const chunkBase = this.consumed
    const { longest, starts } = this.auto
    let state = this.state
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!
      if (state === 0 && starts[b] === 0) continue
      state = this.auto.step(state, b)
      const length = longest[state]!
      if (length > 0) this.found(chunkBase + i + 1 - length, chunkBase + i + 1)
    }
    this.state = state
    this.consumed += chunk.length
    return this.release(data, dataBase, this.consumed - this.auto.depth[state]!)
  }

  flush (): Uint8Array {
    const out = this.release(this.held, this.base, this.consumed)
    this.state = 0
    this.maskEnd = -1
    return out
  }

  private found (start: number, end: number): void {
    if (start < this.maskEnd) {
      // The mask is already out; the spans in between lie inside [maskEnd, end) and join it.
      this.maskEnd = end
      this.base = end
      this.spans = []
      return
    }
    let s = start
    const spans = this.spans
    while (spans.length > 0 && spans[spans.length - 1]!.end > s) s = Math.min(s, spans.pop()!.start)
    spans.push({ start: s, end })
  }

  // Outputs everything before `limit` (no later match can start before it), masking spans that begin there.
  private release (data: Uint8Array, dataBase: number, limit: number): Uint8Array {
    const parts: Uint8Array[] = []
    let i = 0
    for (; i < this.spans.length && this.spans[i]!.start < limit; i++) {
      const span = this.spans[i]!
      if (span.start > this.base) parts.push(data.subarray(this.base - dataBase, span.start - dataBase))
      parts.push(MASK_BYTES)
      this.base = span.end
      this.maskEnd = span.end
    }
    if (i > 0) this.spans = this.spans.slice(i)
    if (this.base < limit) {
      parts.push(data.subarray(this.base - dataBase, limit - dataBase))
      this.base = limit
    }
    this.held = Buffer.from(data.subarray(Math.min(this.base - dataBase, data.length)))
    return Buffer.concat(parts)
  }
}

/**
 * A redactor for `secrets` (see the module comment for what is masked and what it costs).
 * Each redactor keeps its own state; use one per output stream.
 */
export function createRedactor (secrets: readonly string[]): Redactor {
  const forms = secrets.flatMap(secretForms)
  if (forms.length === 0) {
    return { write: (chunk) => Buffer.from(chunk), flush: () => new Uint8Array(0) }
  }
  return new StreamRedactor(buildAutomaton(forms))
}
