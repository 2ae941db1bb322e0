/**
 * Lines of a log as they stream in, stored as the chunk strings that brought them plus three
 * typed-array columns (chunk, start, end) per line: 12 bytes a line besides the text itself, no
 * string per line until one is read, and an append costs O(chunk). A million lines stay a few
 * megabytes of index. Pure; not for concurrent use.
 */

/** Longest line kept, in UTF-16 code units; the rest of a longer line is dropped. */
export const MAX_LINE_CHARS = 1 << 20

const CR = 0x0d

/** A range of line indexes `[from, to)`, 0-based. */
export interface LineRange {
  from: number
  to: number
}

function grow (a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> {
  if (need <= a.length) return a
  const b = new Uint32Array(Math.max(need, a.length * 2))
  b.set(a)
  return b
}

export class LineStore {
  private readonly chunks: string[] = []
  private chunkOf = new Uint32Array(1024)
  private startOf = new Uint32Array(1024)
  private endOf = new Uint32Array(1024)
  private complete = 0
  /** The last line while its line break has not come, in pieces so a long one is joined once. */
  private pending: string[] = []
  private pendingChars = 0
  private pendingText: string | undefined

  /** Lines held, the unfinished last one included. */
  get count (): number {
    return this.complete + (this.pendingChars > 0 ? 1 : 0)
  }

  /** Lines ended by a line break (or by `close`). */
  get completed (): number {
    return this.complete
  }

  /** Line `i` (0-based) without its line break and a `\r` before it; '' past the end. */
  text (i: number): string {
    if (i < this.complete) return this.chunks[this.chunkOf[i]!]!.slice(this.startOf[i], this.endOf[i])
    if (i > this.complete || this.pendingChars === 0) return ''
    this.pendingText ??= this.pending.join('')
    return this.pendingText
  }

  /** The first UTF-16 code of line `i`, or NaN for an empty line: a cheap look before slicing. */
  firstCode (i: number): number {
    if (i < this.complete) return this.startOf[i] === this.endOf[i] ? Number.NaN : this.chunks[this.chunkOf[i]!]!.charCodeAt(this.startOf[i]!)
    return this.text(i).charCodeAt(0)
  }

  /**
   * Calls `found` with each line of `range` (0-based, complete lines) where `re` matches, in
   * order, once per line. `re` must have the `g` flag. One regex scan over the chunk text instead
   * of a string per line: the way to look for rare words in every line of a big log.
   */
  matching (range: LineRange, re: RegExp, found: (i: number) => void): void {
    let i = Math.max(0, range.from)
    const to = Math.min(range.to, this.complete)
    while (i < to) {
      const ci = this.chunkOf[i]!
      let last = i
      while (last + 1 < to && this.chunkOf[last + 1] === ci) last++
      this.matchIn(ci, i, last, re, found)
      i = last + 1
    }
  }

  /** `matching` within lines `first..last`, which all lie in chunk `ci`. */
  private matchIn (ci: number, first: number, last: number, re: RegExp, found: (i: number) => void): void {
    const text = this.chunks[ci]!
    const stop = this.endOf[last]!
    let line = first
    re.lastIndex = this.startOf[first]!
    for (let m = re.exec(text); m !== null && m.index < stop; m = re.exec(text)) {
      while (line < last && this.startOf[line + 1]! <= m.index) line++
      if (m.index < this.endOf[line]!) found(line)
      if (line === last) return
      re.lastIndex = this.startOf[++line]!
    }
  }

  /** Adds text; answers the lines it completed. */
  push (text: string): LineRange {
    const from = this.complete
    let at = 0
    if (this.pendingChars > 0) {
      const nl = text.indexOf('\n')
      this.keep(nl === -1 ? text : text.slice(0, nl))
      if (nl === -1) return { from, to: from }
      this.finishPending()
      at = nl + 1
    }
    if (at < text.length) this.scan(text, at)
    return { from, to: this.complete }
  }

  /** Ends the log: an unfinished last line counts as complete. Answers the lines it completed. */
  close (): LineRange {
    const from = this.complete
    if (this.pendingChars > 0) this.finishPending()
    return { from, to: this.complete }
  }

  /** Records the whole lines of `text` from `at`, and keeps a tail without line break as pending. */
  private scan (text: string, at: number): void {
    let nl = text.indexOf('\n', at)
    if (nl !== -1) {
      const ci = this.chunks.length
      this.chunks.push(text)
      while (nl !== -1) {
        this.record(ci, at, nl > at && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl)
        at = nl + 1
        nl = text.indexOf('\n', at)
      }
    }
    if (at < text.length) this.keep(text.slice(at))
  }

  private keep (piece: string): void {
    const room = MAX_LINE_CHARS - this.pendingChars
    if (room <= 0 || piece === '') return
    const kept = piece.length > room ? piece.slice(0, room) : piece
    this.pending.push(kept)
    this.pendingChars += kept.length
    this.pendingText = undefined
  }

  private finishPending (): void {
    let line = this.pending.join('')
    if (line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1)
    this.pending = []
    this.pendingChars = 0
    this.pendingText = undefined
    const ci = this.chunks.length
    this.chunks.push(line)
    this.record(ci, 0, line.length)
  }

  private record (chunk: number, start: number, end: number): void {
    const i = this.complete
    if (i >= this.chunkOf.length) {
      this.chunkOf = grow(this.chunkOf, i + 1)
      this.startOf = grow(this.startOf, i + 1)
      this.endOf = grow(this.endOf, i + 1)
    }
    this.chunkOf[i] = chunk
    this.startOf[i] = start
    this.endOf[i] = Math.min(end, start + MAX_LINE_CHARS)
    this.complete = i + 1
  }
}
