/**
 * One job attempt's log as the dashboard holds it while it streams: fed by the event stream's
 * `log.appended` chunks (whole lines; the last may lack its line break and be completed by a later
 * chunk) and ended by `log.ended`. Keeps the byte `end` to resume a subscription from (`from`), the
 * groups (from markers in the lines and, where given, the node's outline), the first error line and
 * the runner's failure note. Framework-free.
 *
 * How a store uses it: keep the `LogBuffer` itself outside state (it is mutable), and put
 * `buffer.snapshot()` in state after each `append`/`finish`/`setOutline` that changed `version`.
 * A snapshot is a new object exactly when the version changed, so a component given it re-renders
 * on new lines only, and a selector can compare it by identity.
 */
import type { LogOutline, ServerMessage } from '../api/types.ts'
import { stripAnsi } from './ansi.ts'
import { ERROR_HINT, failureNote, isErrorLine, type FailureNote } from './error-lines.ts'
import { GroupTracker, mayBeMarker, mergeOutline, type LogGroup } from './log-groups.ts'
import { LineStore, type LineRange } from './line-store.ts'

export type LogAppended = Extract<ServerMessage, { type: 'log.appended' }>
export type LogEnded = Extract<ServerMessage, { type: 'log.ended' }>
export type { FailureNote, LogGroup }

/**
 * What became of a message: `appended`/`ended` changed the buffer; `duplicate` was bytes already
 * held (a resumed subscription may repeat some); `gap` skipped bytes (resubscribe `from: end`);
 * `foreign` names another job or attempt; `after_end` came after `log.ended`; `invalid` has offsets
 * that cannot be right. Only `appended`, `ended` and `gap` change `version`.
 */
export type AppendResult = 'appended' | 'ended' | 'duplicate' | 'gap' | 'foreign' | 'after_end' | 'invalid'

/** Bytes missing before the last refused chunk: the buffer ends at `expected`, the chunk began at `got`. */
export interface LogGap {
  expected: number
  got: number
}

/** What a view reads of a log at one version. Line numbers are 1-based, as in groups and the outline. */
export interface LogBufferSnapshot {
  readonly job: string
  readonly attempt: number
  /** Changes with every change of what the snapshot shows. */
  readonly version: number
  readonly lineCount: number
  /** Whether the last line still waits for its line break. */
  readonly partial: boolean
  /** Line `n` (1-based) as received, ANSI codes included, without its line break; '' outside 1..lineCount. */
  text: (n: number) => string
  /** Groups in the order they start; nested `::group::`s follow the group holding them. */
  readonly groups: readonly LogGroup[]
  /** The first line that reads as an error (see error-lines.ts). */
  readonly firstError: number | undefined
  /** The runner's note that a step or the attempt failed. */
  readonly failure: FailureNote | undefined
  readonly ended: boolean
  /** Bytes held: where to resume the subscription (`from`). */
  readonly end: number
  readonly gap: LogGap | undefined
}

/** An appendable log. Calls must come in stream order; not for concurrent use (there is none). */
export interface LogBuffer {
  readonly version: number
  readonly end: number
  /** Takes a `log.appended` message. O(chunk). */
  append: (message: LogAppended) => AppendResult
  /** Takes `log.ended`: the last line counts even without a line break. */
  finish: (message: LogEnded) => AppendResult
  /** The node's outline for this attempt; answers false (and ignores it) for another job or attempt. */
  setOutline: (outline: LogOutline) => boolean
  /** The log now; the same object until the version changes. */
  snapshot: () => LogBufferSnapshot
}

export interface LogBufferInit {
  job: string
  attempt: number
}

/** The first character of the runner's notes, `[devq] `. */
const BRACKET = 0x5b

/** Whether offsets and text fit together: UTF-8 takes 1 to 3 bytes per UTF-16 code unit. */
function plausible (m: { offset: number, end: number, text: string }): boolean {
  if (!Number.isSafeInteger(m.offset) || !Number.isSafeInteger(m.end) || m.offset < 0 || typeof m.text !== 'string') return false
  const bytes = m.end - m.offset
  return bytes >= m.text.length && bytes <= m.text.length * 3
}

class StreamedLog implements LogBuffer {
  version = 0
  end = 0
  private readonly lines = new LineStore()
  private readonly tracker = new GroupTracker()
  private outline: LogOutline | undefined
  private ended = false
  private gap: LogGap | undefined
  private firstError: number | undefined
  private failure: FailureNote | undefined
  private current: LogBufferSnapshot | undefined
  private outlines = 0
  private groupCache: { key: string, groups: readonly LogGroup[] } | undefined
  private readonly init: LogBufferInit

  constructor (init: LogBufferInit) {
    this.init = init
  }

  append (m: LogAppended): AppendResult {
    if (m.job !== this.init.job || m.attempt !== this.init.attempt) return 'foreign'
    if (!plausible(m)) return 'invalid'
    if (this.ended) return 'after_end'
    if (m.offset < this.end) return m.end <= this.end ? 'duplicate' : 'invalid'
    if (m.offset > this.end) {
      if (this.gap?.got !== m.offset) this.changed()
      this.gap = { expected: this.end, got: m.offset }
      return 'gap'
    }
    if (m.end === m.offset) return 'duplicate'
    this.gap = undefined
    this.end = m.end
    this.take(this.lines.push(m.text))
    this.changed()
    return 'appended'
  }

  finish (m: LogEnded): AppendResult {
    if (m.job !== this.init.job || m.attempt !== this.init.attempt) return 'foreign'
    if (this.ended) return 'after_end'
    if (!Number.isSafeInteger(m.end) || m.end < this.end) return 'invalid'
    if (m.end > this.end) {
      this.gap = { expected: this.end, got: m.end }
      this.changed()
      return 'gap'
    }
    this.ended = true
    this.take(this.lines.close())
    this.changed()
    return 'ended'
  }

  setOutline (outline: LogOutline): boolean {
    if (outline.job !== this.init.job || outline.attempt !== this.init.attempt) return false
    this.outline = outline
    this.outlines++
    this.changed()
    return true
  }

  snapshot (): LogBufferSnapshot {
    this.current ??= this.freeze()
    return this.current
  }

  private changed (): void {
    this.version++
    this.current = undefined
  }

  /** Looks at lines just completed for markers, the first error and the failure note. */
  private take (range: LineRange): void {
    const { lines, tracker } = this
    for (let i = range.from; i < range.to; i++) {
      const code = lines.firstCode(i)
      if (mayBeMarker(code)) tracker.line(i + 1, lines.text(i))
      else if (code === BRACKET && this.failure === undefined) this.failure = failureNote(i + 1, lines.text(i))
    }
    if (this.firstError !== undefined) return
    lines.matching(range, ERROR_HINT, (i) => {
      if (this.firstError === undefined && isErrorLine(stripAnsi(lines.text(i)))) this.firstError = i + 1
    })
  }

  /** The groups for `lines` lines, rebuilt only when a marker came or an open group grew. */
  private groupsAt (lines: number): readonly LogGroup[] {
    const key = `${this.tracker.revision}:${this.tracker.hasOpen ? lines : -1}:${this.outlines}`
    if (this.groupCache?.key !== key) this.groupCache = { key, groups: mergeOutline(this.tracker.groups(lines), this.outline, lines) }
    return this.groupCache.groups
  }

  private freeze (): LogBufferSnapshot {
    const lines = this.lines
    const lineCount = lines.count
    let groups: readonly LogGroup[] | undefined
    const groupsAt = (n: number): readonly LogGroup[] => this.groupsAt(n)
    return {
      job: this.init.job,
      attempt: this.init.attempt,
      version: this.version,
      lineCount,
      partial: lineCount > lines.completed,
      text: (n) => (n >= 1 && n <= lineCount ? lines.text(n - 1) : ''),
      // Built on first read: many snapshots are replaced before anything reads their groups.
      get groups () {
        groups ??= clampGroups(groupsAt(lineCount), lineCount)
        return groups
      },
      firstError: this.firstError,
      failure: this.failure,
      ended: this.ended,
      end: this.end,
      gap: this.gap
    }
  }
}

/** Groups as they stood when the log had `lines` lines (a newer buffer may know later ends). */
function clampGroups (groups: readonly LogGroup[], lines: number): readonly LogGroup[] {
  if (groups.every((g) => g.end <= lines)) return groups
  return groups.filter((g) => g.line <= lines).map((g) => (g.end <= lines ? g : { ...g, end: lines }))
}

/** A new, empty buffer for one attempt's log, which must be streamed from byte 0. */
export function createLogBuffer (init: LogBufferInit): LogBuffer {
  return new StreamedLog(init)
}
