/**
 * The virtual list of log rows: fixed-height rows, only those in view (and a margin) in the DOM.
 * Opens at the end and follows new lines while the reader is at the bottom; scrolling up stops
 * following and shows a button back to the end. Keys: PageUp/PageDown, Home/End on the focused list.
 */
import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type ReactNode, type RefObject } from 'react'
import { parseAnsi, stripAnsi, type AnsiSpan } from './ansi.ts'
import type { LogBufferSnapshot } from './log-buffer.ts'
import { LogRow, type GroupHead } from './LogRow.tsx'
import type { RowMap } from './rows.ts'
import type { LogSearch, SearchMatch } from './search.ts'

/** Height of every row, in CSS px; log.css sets the same (`--log-line-height`). */
export const LINE_HEIGHT = 18
/** Longest part of a line drawn, in UTF-16 units: a megabyte line would stall layout. */
export const MAX_DRAWN_CHARS = 10_000
const OVERSCAN = 30
const CACHE_LIMIT = 4_000

/** A request to bring a line into view; a new `seq` asks again for the same line. */
export interface Reveal {
  line: number
  seq: number
}

export interface LogListProps {
  buffer: LogBufferSnapshot
  rows: RowMap
  heads: ReadonlyMap<number, GroupHead>
  search: LogSearch | undefined
  current: SearchMatch | undefined
  target: number | undefined
  reveal: Reveal | undefined
  onToggle: (line: number) => void
}

interface Parsed {
  raw: string
  plain: string
  spans: AnsiSpan[]
}

/** Parses lines as they come into view, once each while their text stays the same. */
function useParsedLines (buffer: LogBufferSnapshot): (line: number) => Parsed {
  const cache = useRef(new Map<number, Parsed>())
  return useCallback((line: number) => {
    const full = buffer.text(line)
    const raw = full.length > MAX_DRAWN_CHARS ? full.slice(0, MAX_DRAWN_CHARS) : full
    const hit = cache.current.get(line)
    if (hit !== undefined && hit.raw === raw) return hit
    if (cache.current.size >= CACHE_LIMIT) cache.current.clear()
    const parsed = { raw, plain: stripAnsi(raw), spans: parseAnsi(raw) }
    cache.current.set(line, parsed)
    return parsed
  }, [buffer])
}

const atEnd = (el: HTMLElement): boolean => el.scrollHeight - el.clientHeight - el.scrollTop <= LINE_HEIGHT / 2 + 1

/** Scroll keys on the focused list; answers whether it took the key. */
function scrollKey (el: HTMLElement, key: string): boolean {
  const page = Math.max(LINE_HEIGHT, el.clientHeight - LINE_HEIGHT)
  if (key === 'PageDown') el.scrollTop += page
  else if (key === 'PageUp') el.scrollTop -= page
  else if (key === 'Home') el.scrollTop = 0
  else if (key !== 'End') return false
  return true
}

interface Follow {
  following: boolean
  onScroll: () => void
  /** Scrolls to the end and follows again. */
  toEnd: () => void
  /** Stops following before a scroll away takes effect, so lines arriving meanwhile do not pull the view back. */
  release: () => void
}

/** Following state: true while the view sits at the bottom. */
function useFollow (scroller: RefObject<HTMLDivElement | null>, rows: number): Follow {
  const [following, setFollowing] = useState(true)
  const follow = useRef(true)
  const set = useCallback((now: boolean) => {
    follow.current = now
    setFollowing(now)
  }, [])
  const onScroll = useCallback(() => {
    const el = scroller.current
    if (el !== null && atEnd(el) !== follow.current) set(!follow.current)
  }, [scroller, set])
  const toEnd = useCallback(() => {
    set(true)
    if (scroller.current !== null) scroller.current.scrollTop = scroller.current.scrollHeight
  }, [scroller, set])
  const release = useCallback(() => { if (follow.current) set(false) }, [set])
  // Rows just rendered: keep the last one in view while following. Before paint, so no jump shows.
  useLayoutEffect(() => {
    const el = scroller.current
    if (el !== null && follow.current && !atEnd(el)) el.scrollTop = el.scrollHeight
  }, [scroller, rows])
  return { following, onScroll, toEnd, release }
}

/** The list; see the module comment. */
export function LogList (props: LogListProps): ReactNode {
  const { buffer, rows, heads, search, current, target, reveal, onToggle } = props
  const scroller = useRef<HTMLDivElement>(null)
  const parsed = useParsedLines(buffer)
  // Before the virtualizer, so it reads the scroll offset after the first jump to the end.
  const follow = useFollow(scroller, rows.count)
  const virtualizer = useVirtualizer({
    count: rows.count,
    getScrollElement: () => scroller.current,
    estimateSize: () => LINE_HEIGHT,
    overscan: OVERSCAN,
    initialOffset: () => rows.count * LINE_HEIGHT
  })
  const { release, toEnd } = follow
  useLayoutEffect(() => {
    const el = scroller.current
    const row = reveal === undefined ? undefined : rows.rowOf(reveal.line)
    if (el === null || row === undefined) return
    release()
    el.scrollTop = row * LINE_HEIGHT - (el.clientHeight - LINE_HEIGHT) / 2
  }, [reveal, rows, release])

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const el = scroller.current
    if (el === null || e.altKey || e.ctrlKey || e.metaKey) return
    if (e.key === 'End') toEnd()
    else if (e.key === 'PageUp' || e.key === 'Home' || e.key === 'ArrowUp') release()
    if (scrollKey(el, e.key)) e.preventDefault()
  }

  const items = virtualizer.getVirtualItems()
  const top = items[0]?.start ?? 0
  return (
    <div className="log-body">
      <div ref={scroller} className="log-scroll" role="log" aria-live="off" aria-label="Log lines" tabIndex={0}
        onScroll={follow.onScroll} onKeyDown={onKeyDown} onWheel={(e) => { if (e.deltaY < 0) release() }}
        style={{ '--log-ln-chars': String(buffer.lineCount).length } as CSSProperties}>
        <div className="log-sizer" style={{ height: virtualizer.getTotalSize() }}>
          <div className="log-rows" style={{ transform: `translateY(${top}px)` }}>
            {items.map((item) => {
              const line = rows.lineOf(item.index)
              const p = parsed(line)
              return (
                <LogRow key={line} line={line} plain={p.plain} spans={p.spans} head={heads.get(line)}
                  marks={search?.marksOn(line)} current={current?.line === line ? current.start : undefined}
                  error={buffer.firstError === line} target={target === line} onToggle={onToggle} />
              )
            })}
          </div>
        </div>
      </div>
      {follow.following ? null : <button type="button" className="log-jump" onClick={toEnd}>Jump to end</button>}
    </div>
  )
}
