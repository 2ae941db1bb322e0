/**
 * A log's foldable groups, found line by line while it streams, by the same rules as the node's
 * `GET /v1/jobs/:id/outline` (the runner's logs/groups.ts), so the groups the dashboard draws from
 * live lines agree with the outline the node answers for the same lines:
 * - `::group::name` opens a group, `::endgroup::` ends the innermost open one at its own line;
 *   these nest and start collapsed. An `::endgroup::` with nothing open is ignored.
 * - `--- name` starts a collapsed header group, `+++ name` an expanded one; header groups do not
 *   nest: each runs to the line before the next header (which also ends every open `::group::`
 *   there) or to the last line. A header with no name is not a marker.
 * Markers count only at the start of a line and only its first LINE_PREFIX_CHARS characters are
 * looked at. Pure; no DOM, no React.
 */
import type { LogOutline } from '../api/types.ts'

/** One foldable group: `line` and `end` are 1-based line numbers, both inclusive. */
export interface LogGroup {
  name: string
  line: number
  end: number
  collapsed: boolean
}

/** Most groups recorded for one log (later markers end groups but start none), as on the node. */
export const MAX_GROUPS = 10_000
/** Longest group name kept, in UTF-16 code units. */
export const MAX_GROUP_NAME = 200
/** Characters at the start of a line that are looked at for a marker. */
export const LINE_PREFIX_CHARS = MAX_GROUP_NAME + 16

/** What the runner puts before a step's name in the header line it writes for each step. */
export const STEP_PREFIX = '[devq] step: '

type Marker =
  | { kind: 'open', name: string }
  | { kind: 'close' }
  | { kind: 'header', name: string, collapsed: boolean }

const COLON = 0x3a
const MINUS = 0x2d
const PLUS = 0x2b

const cleanName = (raw: string): string => raw.trim().slice(0, MAX_GROUP_NAME)

/** Whether a line whose first character code is `c` may be a marker: spares slicing the others. */
export function mayBeMarker (c: number): boolean {
  return c === COLON || c === MINUS || c === PLUS
}

/** The marker a line starts with, or undefined. */
export function markerOf (line: string): Marker | undefined {
  const prefix = line.length > LINE_PREFIX_CHARS ? line.slice(0, LINE_PREFIX_CHARS) : line
  if (prefix.startsWith('::group::')) return { kind: 'open', name: cleanName(prefix.slice(9)) }
  if (prefix.trimEnd() === '::endgroup::') return { kind: 'close' }
  if (prefix.startsWith('--- ') || prefix.startsWith('+++ ')) {
    const name = cleanName(prefix.slice(4))
    if (name !== '') return { kind: 'header', name, collapsed: prefix.charCodeAt(0) === MINUS }
  }
  return undefined
}

/** The step a group stands for when the runner wrote its header, else undefined. */
export function stepOfGroup (group: LogGroup): string | undefined {
  return !group.collapsed && group.name.startsWith(STEP_PREFIX) ? group.name.slice(STEP_PREFIX.length) : undefined
}

/**
 * Applies the nesting and ending rules to lines in order. `line` must be called for every line
 * that may hold a marker, with increasing numbers; lines without one may be skipped. Not for
 * concurrent use (there is none in a renderer, but the order of calls is the contract).
 */
export class GroupTracker {
  private readonly found: LogGroup[] = []
  private readonly open: LogGroup[] = []
  private header: LogGroup | undefined
  private ignoredOpens = 0
  /** Counts changes to the groups found, so a caller can reuse what it built from them. */
  revision = 0

  /** Whether a group is open: then `groups` depends on how many lines there are. */
  get hasOpen (): boolean {
    return this.open.length > 0 || this.header !== undefined
  }

  /** Takes line `n` (1-based); its text is needed only when `mayBeMarker` of its first code is true. */
  line (n: number, text: string): void {
    const marker = markerOf(text)
    if (marker === undefined) return
    this.revision++
    if (marker.kind === 'open') {
      const group = this.add({ name: marker.name, line: n, end: n, collapsed: true })
      if (group === undefined) this.ignoredOpens++
      else this.open.push(group)
    } else if (marker.kind === 'close') {
      if (this.ignoredOpens > 0) this.ignoredOpens--
      else {
        const group = this.open.pop()
        if (group !== undefined) group.end = n
      }
    } else {
      this.endAll(n - 1)
      this.header = this.add({ name: marker.name, line: n, end: n, collapsed: marker.collapsed })
    }
  }

  /** The groups if the log ended after line `lines` (open groups end there); a fresh array of copies. */
  groups (lines: number): LogGroup[] {
    const open = new Set<LogGroup>(this.open)
    if (this.header !== undefined) open.add(this.header)
    return this.found.map((g) => ({ ...g, end: open.has(g) ? Math.max(g.line, lines) : g.end }))
  }

  private endAll (end: number): void {
    for (const group of this.open) group.end = end
    if (this.header !== undefined) this.header.end = end
    this.open.length = 0
    this.header = undefined
    this.ignoredOpens = 0
  }

  private add (group: LogGroup): LogGroup | undefined {
    if (this.found.length >= MAX_GROUPS) return undefined
    this.found.push(group)
    return group
  }
}

/**
 * The groups to draw for a log holding `lines` lines: the server's outline for the lines it
 * covered, the groups found in streamed lines after them. An outline group keeps the end found in
 * the lines when the same group (start and name) was found there, since the lines may be newer
 * than the outline; groups starting past `lines` are dropped (there is nothing to draw). An outline
 * of another job or attempt must not be passed. Idempotent: merging the result with the same
 * outline again gives the same groups. O(groups).
 */
export function mergeOutline (own: readonly LogGroup[], outline: LogOutline | undefined, lines: number): LogGroup[] {
  if (outline === undefined) return [...own]
  const ownAt = new Map<number, LogGroup>()
  for (const g of own) ownAt.set(g.line, g)
  const merged: LogGroup[] = []
  for (const g of outline.groups) {
    if (g.line > lines) continue
    const same = ownAt.get(g.line)
    const end = same !== undefined && same.name === g.name ? same.end : Math.min(g.end, lines)
    merged.push({ name: g.name, line: g.line, end: Math.max(end, g.line), collapsed: g.collapsed })
  }
  for (const g of own) if (g.line > outline.lines) merged.push(g)
  return merged
}
