/**
 * The structure of a job log: foldable groups, found from marker lines, whole or while streaming.
 *
 * Markers (each at the start of a line; names are trimmed and cut to MAX_GROUP_NAME characters):
 * - `::group::name` opens a group, `::endgroup::` ends the innermost one at that line (GitHub
 *   Actions). These nest. A `::endgroup::` with nothing open is ignored. Shown collapsed.
 * - `--- name` starts a collapsed header group, `+++ name` an expanded one (Buildkite). Header groups
 *   do not nest: each runs until the line before the next header, or to the last line. A header
 *   also ends every open `::group::` at the line before it, since a step's groups belong to its step.
 *   A bare `---` (a YAML document start) or a header with no name is not a marker.
 * Groups not ended by the last line end there. Lines are counted from 1 and split at `\n`; a final
 * line without `\n` counts. Caveat: `diff` output has `--- a/x` / `+++ b/x` lines, which become
 * groups, as they do on Buildkite.
 *
 * DevQ's own step headers are expanded header groups, `+++ [devq] step: <name>` (see
 * `stepHeaderLine`): the running step's output is what a reader opened the log for; a viewer may
 * fold finished steps itself.
 *
 * Limits: at most MAX_GROUPS groups per log (later markers still end groups but start none); only
 * the first LINE_PREFIX_CHARS characters of a line are kept while streaming, so memory does not
 * grow with line length or log size.
 */

/** One foldable group; `line` and `end` are 1-based line numbers, both inclusive. */
export interface LogGroup {
  name: string
  line: number
  end: number
  collapsed: boolean
}

/** The structure of a log: how many lines it has and its groups, in the order they start. */
export interface LogOutline {
  lines: number
  groups: LogGroup[]
}

/** Most groups recorded for one log. */
export const MAX_GROUPS = 10_000

/** Longest group name kept, in UTF-16 code units. */
export const MAX_GROUP_NAME = 200

/** Characters of each line that are looked at for a marker. */
export const LINE_PREFIX_CHARS = MAX_GROUP_NAME + 16

const STEP_PREFIX = '[devq] step: '

/** The line DevQ writes before each step's output (ends with `\n`); it opens an expanded group. */
export function stepHeaderLine (step: string): string {
  return `+++ ${STEP_PREFIX}${step.replace(/[\r\n]+/g, ' ').trim()}\n`
}

/** The step a group was made for by `stepHeaderLine`, or undefined for any other group. */
export function stepOfGroup (group: LogGroup): string | undefined {
  return !group.collapsed && group.name.startsWith(STEP_PREFIX) ? group.name.slice(STEP_PREFIX.length) : undefined
}

type Marker =
  | { kind: 'open', name: string }
  | { kind: 'close' }
  | { kind: 'header', name: string, collapsed: boolean }

function cleanName (raw: string): string {
  return raw.trim().slice(0, MAX_GROUP_NAME)
}

/** The marker a line starts with, judged from its first LINE_PREFIX_CHARS characters. */
function markerOf (prefix: string): Marker | undefined {
  if (prefix.startsWith('::group::')) return { kind: 'open', name: cleanName(prefix.slice(9)) }
  if (prefix.trimEnd() === '::endgroup::') return { kind: 'close' }
  if (prefix.startsWith('--- ') || prefix.startsWith('+++ ')) {
    const name = cleanName(prefix.slice(4))
    if (name !== '') return { kind: 'header', name, collapsed: prefix.startsWith('-') }
  }
  return undefined
}

/** Applies the nesting and ending rules to markers line by line. */
class OutlineBuilder {
  private readonly groups: LogGroup[] = []
  private readonly open: LogGroup[] = []
  private header: LogGroup | undefined
  private ignoredOpens = 0

  line (n: number, marker: Marker | undefined): void {
    if (marker === undefined) return
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

  /** The outline if the log ended after line `lines`; the builder stays usable. */
  outline (lines: number): LogOutline {
    const open = new Set<LogGroup>(this.open)
    if (this.header !== undefined) open.add(this.header)
    return { lines, groups: this.groups.map((g) => ({ ...g, end: open.has(g) ? lines : g.end })) }
  }

  private endAll (end: number): void {
    for (const group of this.open) group.end = end
    if (this.header !== undefined) this.header.end = end
    this.open.length = 0
    this.header = undefined
    this.ignoredOpens = 0
  }

  private add (group: LogGroup): LogGroup | undefined {
    if (this.groups.length >= MAX_GROUPS) return undefined
    this.groups.push(group)
    return group
  }
}

/** The outline of a whole log text. Pure. */
export function parseGroups (text: string): LogOutline {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const builder = new OutlineBuilder()
  lines.forEach((line, i) => { builder.line(i + 1, markerOf(line.slice(0, LINE_PREFIX_CHARS))) })
  return builder.outline(lines.length)
}

/**
 * Finds the outline while a log streams through, holding only the start of the current line and
 * the groups found. Not for concurrent use.
 */
export interface GroupParser {
  /** Takes the next piece of the log: text, or bytes (UTF-8, which may split a character). */
  push(chunk: string | Uint8Array): void
  /** The outline so far: open groups end at the last line; an unfinished line counts, but its marker waits for its end. */
  snapshot(): LogOutline
  /** Ends the log and gives its outline, equal to `parseGroups` of the whole text. Push nothing after it. */
  end(): LogOutline
}

/** A parser whose `end()` equals `parseGroups` of everything pushed, however it was split. */
export function createGroupParser (): GroupParser {
  const builder = new OutlineBuilder()
  const decoder = new TextDecoder('utf-8')
  let lineNo = 0
  let prefix = ''
  let partial = false

  const take = (text: string): void => {
    let at = 0
    while (at < text.length) {
      const nl = text.indexOf('\n', at)
      const stop = nl === -1 ? text.length : nl
      if (stop > at) {
        partial = true
        if (prefix.length < LINE_PREFIX_CHARS) prefix += text.slice(at, Math.min(stop, at + LINE_PREFIX_CHARS - prefix.length))
      }
      if (nl === -1) return
      lineNo++
      builder.line(lineNo, markerOf(prefix))
      prefix = ''
      partial = false
      at = nl + 1
    }
  }

  return {
    push (chunk) {
      take(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))
    },
    snapshot () {
      return builder.outline(lineNo + (partial ? 1 : 0))
    },
    end () {
      take(decoder.decode())
      if (partial) {
        lineNo++
        builder.line(lineNo, markerOf(prefix))
        prefix = ''
        partial = false
      }
      return builder.outline(lineNo)
    }
  }
}
