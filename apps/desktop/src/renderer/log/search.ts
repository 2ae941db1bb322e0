/**
 * Case-insensitive text search over a log's lines as they read (ANSI codes stripped), done in
 * slices of a few milliseconds handed to a scheduler, so 100,000 lines never hold the main thread
 * for long, and continued over lines that arrive later. Matches are kept in line order; each
 * line's marks are one array made once, so a row given them can be memoised on identity.
 */
import { stripAnsi } from './ansi.ts'

/** Time, and a way to run work later, off the current task. */
export interface SearchComponents {
  /** Runs `task` after the current task (a macrotask, so input and paint go first); answers a cancel. */
  schedule: (task: () => void) => () => void
  /** Monotonic milliseconds. */
  now: () => number
}

export interface SearchInit {
  query: string
  /** Longest slice of work, in ms. */
  sliceMs?: number
  /** Matches kept; past it the search stops and says it is capped. */
  maxMatches?: number
}

/** What a search reads of a log: the snapshot type fits. */
export interface SearchSource {
  readonly lineCount: number
  readonly partial: boolean
  text: (n: number) => string
}

/** One match: line (1-based) and UTF-16 columns `[start, end)` of the line's plain text. */
export interface SearchMatch {
  line: number
  start: number
  end: number
}

/** A running search. Not for concurrent use. */
export interface LogSearch {
  readonly query: string
  readonly count: number
  /** Every complete line fed so far has been searched. */
  readonly done: boolean
  readonly capped: boolean
  /** Match `i` in line order, 0-based. */
  match: (i: number) => SearchMatch | undefined
  /** The `[start, end, start, end, ...]` columns of the matches on `line`; undefined for none. */
  marksOn: (line: number) => readonly number[] | undefined
  /** The index of the first match on `line` or after it; `count` when none. */
  firstFrom: (line: number) => number
  /** Searches the new lines of `source` (the same log, later). */
  feed: (source: SearchSource) => void
  /** Called after each slice of work that changed anything. */
  onChange: (listener: () => void) => void
  dispose: () => void
}

const CHECK_EVERY = 128

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

class Search implements LogSearch {
  readonly query: string
  capped = false
  private readonly pattern: RegExp
  private readonly sliceMs: number
  private readonly maxMatches: number
  private readonly lines: number[] = []
  private readonly starts: number[] = []
  private readonly ends: number[] = []
  private readonly marks = new Map<number, number[]>()
  private source: SearchSource | undefined
  private scanned = 0
  private cancel: (() => void) | undefined
  private listener: (() => void) | undefined
  private readonly components: SearchComponents

  constructor (components: SearchComponents, init: SearchInit) {
    this.components = components
    this.query = init.query
    this.sliceMs = init.sliceMs ?? 8
    this.maxMatches = init.maxMatches ?? 50_000
    this.pattern = new RegExp(escapeRegExp(init.query), 'gi')
  }

  get count (): number { return this.lines.length }
  get done (): boolean { return this.capped || this.scanned >= this.target() }

  match (i: number): SearchMatch | undefined {
    return i >= 0 && i < this.lines.length ? { line: this.lines[i]!, start: this.starts[i]!, end: this.ends[i]! } : undefined
  }

  marksOn (line: number): readonly number[] | undefined { return this.marks.get(line) }

  firstFrom (line: number): number {
    let lo = 0
    let hi = this.lines.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.lines[mid]! < line) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  feed (source: SearchSource): void {
    this.source = source
    if (this.cancel === undefined && !this.capped && this.scanned < this.target()) this.cancel = this.components.schedule(this.slice)
  }

  onChange (listener: () => void): void { this.listener = listener }

  dispose (): void {
    this.cancel?.()
    this.cancel = undefined
    this.listener = undefined
  }

  /** Complete lines: a line still waiting for its line break is searched once it has it. */
  private target (): number {
    return this.source === undefined ? 0 : this.source.lineCount - (this.source.partial ? 1 : 0)
  }

  private readonly slice = (): void => {
    this.cancel = undefined
    const deadline = this.components.now() + this.sliceMs
    const to = this.target()
    while (this.scanned < to && !this.capped) {
      const stop = Math.min(to, this.scanned + CHECK_EVERY)
      for (; this.scanned < stop && !this.capped; this.scanned++) this.scanLine(this.scanned + 1)
      if (this.components.now() >= deadline) break
    }
    if (this.scanned < to && !this.capped) this.cancel = this.components.schedule(this.slice)
    this.listener?.()
  }

  private scanLine (n: number): void {
    const plain = stripAnsi(this.source!.text(n))
    const p = this.pattern
    p.lastIndex = 0
    let found: number[] | undefined
    for (let m = p.exec(plain); m !== null; m = p.exec(plain)) {
      if (this.lines.length >= this.maxMatches) {
        this.capped = true
        break
      }
      this.lines.push(n)
      this.starts.push(m.index)
      this.ends.push(m.index + m[0].length)
      found ??= []
      found.push(m.index, m.index + m[0].length)
    }
    if (found !== undefined) this.marks.set(n, found)
  }
}

/** A search for `init.query` (not empty); feed it the log to start. */
export function createLogSearch (components: SearchComponents, init: SearchInit): LogSearch {
  return new Search(components, init)
}

let shared: SearchComponents | undefined

/** The page's scheduler: MessageChannel tasks, which (unlike setTimeout) are not clamped to 4 ms. One per page. */
export function pageScheduler (): SearchComponents {
  if (shared !== undefined) return shared
  const channel = new MessageChannel()
  const tasks = new Map<number, () => void>()
  let next = 0
  channel.port1.onmessage = (e: MessageEvent<number>) => {
    const task = tasks.get(e.data)
    tasks.delete(e.data)
    task?.()
  }
  shared = {
    schedule (task) {
      const id = next++
      tasks.set(id, task)
      channel.port2.postMessage(id)
      return () => { tasks.delete(id) }
    },
    now: () => performance.now()
  }
  return shared
}
