/**
 * One row of the log: its line number, and either the line's coloured text with search marks or,
 * for a group's first line, the group's header (name, line count, a fold button). Memoised: a row
 * re-renders only when its own props change, which the list keeps stable across scrolls.
 */
import { memo, type ReactNode } from 'react'
import type { AnsiSpan } from './ansi.ts'
import { NOTE_PREFIX } from './error-lines.ts'
import { STEP_PREFIX, type LogGroup } from './log-groups.ts'

/** A group as its header row shows it. */
export interface GroupHead {
  group: LogGroup
  collapsed: boolean
}

export interface LogRowProps {
  line: number
  /** The line as it reads (no ANSI), for header names and the kind of note. */
  plain: string
  spans: readonly AnsiSpan[]
  head?: GroupHead | undefined
  /** Search marks `[start, end, ...]` in plain-text columns. */
  marks?: readonly number[] | undefined
  /** Start column of the current match when it is on this line. */
  current?: number | undefined
  /** The first error line. */
  error: boolean
  /** The line a jump went to: drawn highlighted. */
  target: boolean
  onToggle: (line: number) => void
}

interface Piece {
  text: string
  span: AnsiSpan
  mark: 0 | 1 | 2
}

/** Cuts spans at the marks' edges; `shift` moves the marks when only part of the line is shown. */
function cut (spans: readonly AnsiSpan[], marks: readonly number[] | undefined, current: number | undefined, shift = 0): Piece[] {
  if (marks === undefined) return spans.map((span) => ({ text: span.text, span, mark: 0 }))
  const out: Piece[] = []
  let pos = 0
  let m = 0
  for (const span of spans) {
    const spanEnd = pos + span.text.length
    let at = pos
    while (at < spanEnd) {
      while (m < marks.length && marks[m + 1]! - shift <= at) m += 2
      const ms = m < marks.length ? marks[m]! - shift : Infinity
      const me = m < marks.length ? marks[m + 1]! - shift : Infinity
      const inside = ms <= at
      const stop = Math.min(spanEnd, inside ? me : ms)
      out.push({ text: span.text.slice(at - pos, stop - pos), span, mark: !inside ? 0 : marks[m] === current ? 2 : 1 })
      at = stop
    }
    pos = spanEnd
  }
  return out
}

function render (pieces: readonly Piece[]): ReactNode[] {
  return pieces.map((p, k) => {
    const mark = p.mark === 0 ? '' : p.mark === 2 ? 'log-mark log-mark-current' : 'log-mark'
    const cls = [p.span.className, mark].filter((c) => c !== undefined && c !== '').join(' ')
    return <span key={k} className={cls === '' ? undefined : cls} style={p.span.style}>{p.text}</span>
  })
}

/** What kind of line it is, for its colour: the runner's notes, ended groups. */
function kindOf (plain: string): string {
  if (plain.startsWith(NOTE_PREFIX)) {
    if (/^\[devq\] step .+ succeeded\b/.test(plain)) return ' log-note log-note-ok'
    if (/^\[devq\] (step .+ (failed|timed out)|failed)\b/.test(plain)) return ' log-note log-note-fail'
    return ' log-note'
  }
  return plain.trimEnd() === '::endgroup::' ? ' log-endgroup' : ''
}

function Head ({ line, plain, head, marks, current, onToggle }: LogRowProps & { head: GroupHead }): ReactNode {
  const { group, collapsed } = head
  const step = !group.collapsed && group.name.startsWith(STEP_PREFIX)
  const name = step ? group.name.slice(STEP_PREFIX.length) : group.name
  const inner = group.end - group.line
  const pieces = cut([{ text: name }], marks, current, Math.max(0, plain.lastIndexOf(name)))
  return (
    <button type="button" className="log-toggle" aria-expanded={!collapsed} onClick={() => { onToggle(line) }}>
      <span className="log-chevron" aria-hidden="true">{collapsed ? '▸' : '▾'}</span>
      {step ? <span className="log-step-badge">step</span> : null}
      <span className="log-gname">{render(pieces)}</span>
      <span className="log-gcount">{inner === 1 ? '1 line' : `${inner.toLocaleString('en')} lines`}</span>
    </button>
  )
}

function Row (props: LogRowProps): ReactNode {
  const { line, plain, spans, head, marks, current, error, target } = props
  const cls = `log-row${head === undefined ? kindOf(plain) : ' log-head'}${error ? ' log-row-error' : ''}${target ? ' log-row-target' : ''}`
  return (
    <div className={cls} data-line={line}>
      <span className="log-ln" aria-hidden="true">{line}</span>
      {head === undefined
        ? <span className="log-text">{render(cut(spans, marks, current))}</span>
        : <Head {...props} head={head} />}
    </div>
  )
}

/** A log row; see the module comment. */
export const LogRow = memo(Row)
