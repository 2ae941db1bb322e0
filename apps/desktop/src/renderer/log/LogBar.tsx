/**
 * The log's header bar: line count, the link to the first error, search (Enter for the next match,
 * Shift+Enter for the previous one, Escape to clear) with its count, and the raw download.
 */
import type { KeyboardEvent, ReactNode } from 'react'
import type { SearchState } from './use-log-search.ts'

export interface LogBarProps {
  lineCount: number
  firstError: number | undefined
  onFirstError: () => void
  query: string
  onQuery: (query: string) => void
  search: SearchState | undefined
  /** Index of the current match, when one was chosen. */
  current: number | undefined
  onStep: (direction: 1 | -1) => void
  onDownload: () => void
}

/** "3 of 17", "17 matches", "No matches"; a `+` when the search stopped at its cap, `…` while it runs. */
export function matchText (search: SearchState | undefined, current: number | undefined): string {
  if (search === undefined) return ''
  const { count, done, capped } = search.search
  const total = `${count.toLocaleString('en')}${capped ? '+' : ''}`
  if (count === 0) return done ? 'No matches' : 'Searching…'
  if (current !== undefined) return `${(current + 1).toLocaleString('en')} of ${total}${done ? '' : '…'}`
  return `${total} ${count === 1 ? 'match' : 'matches'}${done ? '' : '…'}`
}

/** The bar; see the module comment. */
export function LogBar (props: LogBarProps): ReactNode {
  const { lineCount, firstError, onFirstError, query, onQuery, search, current, onStep, onDownload } = props
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Enter') {
      e.preventDefault()
      onStep(e.shiftKey ? -1 : 1)
    } else if (e.key === 'Escape' && query !== '') {
      e.preventDefault()
      onQuery('')
    }
  }
  const none = (search?.search.count ?? 0) === 0
  return (
    <div className="log-bar">
      <span className="log-lines">{lineCount.toLocaleString('en')} {lineCount === 1 ? 'line' : 'lines'}</span>
      {firstError === undefined
        ? null
        : <button type="button" className="log-first-error" onClick={onFirstError}>First error: line {firstError.toLocaleString('en')}</button>}
      <span className="log-spacer" />
      <input type="search" className="log-search" placeholder="Search log" aria-label="Search the log"
        value={query} onChange={(e) => { onQuery(e.target.value) }} onKeyDown={onKeyDown} maxLength={500} />
      <span className="log-count" aria-live="polite">{matchText(search, current)}</span>
      <button type="button" className="log-icon" aria-label="Previous match" disabled={none} onClick={() => { onStep(-1) }}>↑</button>
      <button type="button" className="log-icon" aria-label="Next match" disabled={none} onClick={() => { onStep(1) }}>↓</button>
      <button type="button" className="log-download" onClick={onDownload}>Download raw</button>
    </div>
  )
}
