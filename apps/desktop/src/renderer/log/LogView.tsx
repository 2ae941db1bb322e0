/**
 * The job page's live log: a virtual list of the log's lines with line numbers, foldable groups,
 * the first error one click away, search and the raw download, in light and dark.
 *
 * Give it a `LogBufferSnapshot` (see log-buffer.ts): a store keeps the buffer and puts its
 * snapshot in state after each change, and the view re-renders only when the snapshot's version
 * changed. Groups start folded as their markers say (the outline's `collapsed`), except those
 * holding the failure or the first error. Fold state, search and scroll belong to one attempt: a
 * snapshot of another job or attempt starts them afresh.
 */
import { memo, useCallback, useMemo, useState, type ReactNode } from 'react'
import type { LogOutline } from '../api/types.ts'
import type { LogBufferSnapshot } from './log-buffer.ts'
import { mergeOutline, type LogGroup } from './log-groups.ts'
import { LogBar } from './LogBar.tsx'
import { LogList, type Reveal } from './LogList.tsx'
import type { GroupHead } from './LogRow.tsx'
import { buildRowMap, groupsHolding } from './rows.ts'
import { useLogSearch } from './use-log-search.ts'
import './log.css'

export interface LogViewProps {
  buffer: LogBufferSnapshot
  /** The node's outline of this attempt (`GET /v1/jobs/:id/outline`), when fetched. */
  outline?: LogOutline | undefined
  /** Saves the raw log (the client's `downloadLog`). */
  onDownload: () => void
}

/** What the status line announces: streaming, ended, or how it failed. */
export function statusText (buffer: LogBufferSnapshot): string {
  if (buffer.gap !== undefined) return `Log incomplete: bytes ${buffer.gap.expected}–${buffer.gap.got} are missing`
  if (!buffer.ended) return 'Log streaming'
  if (buffer.failure !== undefined) return `Log ended: ${buffer.failure.text.replace(/^\[devq\] /, '')}`
  return `Log ended: ${buffer.lineCount.toLocaleString('en')} lines`
}

/** Fold state: the reader's choices over the defaults. */
function useFolds (buffer: LogBufferSnapshot, groups: readonly LogGroup[]): [(g: LogGroup) => boolean, (line: number, collapsed?: boolean) => void, (line: number) => void] {
  const [chosen, setChosen] = useState<ReadonlyMap<number, boolean>>(() => new Map())
  const failed = buffer.failure?.line
  const error = buffer.firstError
  const isCollapsed = useCallback((g: LogGroup): boolean => {
    const mine = chosen.get(g.line)
    if (mine !== undefined) return mine
    const holds = (line: number | undefined): boolean => line !== undefined && g.line < line && line <= g.end
    return g.collapsed && !holds(failed) && !holds(error)
  }, [chosen, failed, error])
  const toggle = useCallback((line: number, collapsed?: boolean) => {
    const g = groups.find((x) => x.line === line)
    if (g === undefined) return
    setChosen((m) => new Map(m).set(line, collapsed ?? !isCollapsed(g)))
  }, [groups, isCollapsed])
  // Opens every group that hides `line`, so a jump to it lands on a shown row.
  const open = useCallback((line: number) => {
    const hiding = groupsHolding(groups, line).filter((g) => g.line !== line && isCollapsed(g))
    if (hiding.length > 0) setChosen((m) => { const n = new Map(m); for (const g of hiding) n.set(g.line, false); return n })
  }, [groups, isCollapsed])
  return [isCollapsed, toggle, open]
}

function useNavigation (open: (line: number) => void): [Reveal | undefined, (line: number) => void] {
  const [reveal, setReveal] = useState<Reveal>()
  const go = useCallback((line: number) => {
    open(line)
    setReveal((r) => ({ line, seq: (r?.seq ?? 0) + 1 }))
  }, [open])
  return [reveal, go]
}

function View ({ buffer, outline, onDownload }: LogViewProps): ReactNode {
  const own = buffer.groups
  const groups = useMemo(() => (outline === undefined ? own : mergeOutline(own, outline, buffer.lineCount)), [own, outline, buffer.lineCount])
  const [isCollapsed, toggle, open] = useFolds(buffer, groups)
  const rows = useMemo(() => buildRowMap(buffer.lineCount, groups, isCollapsed), [buffer.lineCount, groups, isCollapsed])
  const heads = useMemo(() => new Map<number, GroupHead>(groups.map((group) => [group.line, { group, collapsed: isCollapsed(group) }])), [groups, isCollapsed])
  const [query, setQuery] = useState('')
  const search = useLogSearch(buffer, query)
  const [current, setCurrent] = useState<number>()
  const [target, setTarget] = useState<number>()
  const [reveal, go] = useNavigation(open)
  const onQuery = useCallback((q: string) => { setQuery(q); setCurrent(undefined) }, [])
  const onStep = useCallback((direction: 1 | -1) => {
    const count = search?.search.count ?? 0
    if (count === 0) return
    const next = current === undefined ? (direction === 1 ? 0 : count - 1) : (current + direction + count) % count
    setCurrent(next)
    const m = search!.search.match(next)
    if (m !== undefined) go(m.line)
  }, [search, current, go])
  const onFirstError = useCallback(() => {
    if (buffer.firstError === undefined) return
    setTarget(buffer.firstError)
    go(buffer.firstError)
  }, [buffer.firstError, go])
  const match = current === undefined ? undefined : search?.search.match(current)
  return (
    <section className="devq-log" aria-label={`Log of attempt ${buffer.attempt}`}>
      <LogBar lineCount={buffer.lineCount} firstError={buffer.firstError} onFirstError={onFirstError} query={query}
        onQuery={onQuery} search={search} current={current} onStep={onStep} onDownload={onDownload} />
      <LogList buffer={buffer} rows={rows} heads={heads} search={search?.search} current={match} target={target}
        reveal={reveal} onToggle={toggle} />
      <p className="log-status" role="status">{statusText(buffer)}</p>
    </section>
  )
}

function Keyed (props: LogViewProps): ReactNode {
  return <View key={`${props.buffer.job}:${props.buffer.attempt}`} {...props} />
}

/** The log view; see the module comment. */
export const LogView = memo(Keyed)
