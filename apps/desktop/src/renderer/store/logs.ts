/**
 * Logs the pages follow, by `<job>:<attempt>`. Each holds its lines in a mutable buffer (a 100,000-line
 * log is not copied on every chunk); `version` changes with every append so views re-render.
 */
import type { StateCreator } from 'zustand'
import type { DevqState } from './store.ts'

/** An attempt's log as far as this page has it. */
export interface LogEntry {
  job: string
  attempt: number
  /** Complete lines, then the last one when it has no newline yet. */
  lines: string[]
  /** Whether the last line is still open (no newline yet). */
  open: boolean
  /** Bytes of the log held: where a resumed subscription starts. */
  end: number
  ended: boolean
  version: number
  error?: string
}

export interface LogsSlice {
  logs: Record<string, LogEntry>
  logOpened: (job: string, attempt: number) => void
  logAppended: (job: string, attempt: number, offset: number, end: number, text: string) => void
  logEnded: (job: string, attempt: number, end: number) => void
  logFailed: (job: string, attempt: number, message: string) => void
}

const keyOf = (job: string, attempt: number): string => `${job}:${attempt}`

/** Adds `text` to `entry`'s lines in place, joining the open last line. */
function appendText (entry: LogEntry, text: string): void {
  const parts = text.split('\n')
  if (entry.open && entry.lines.length > 0) entry.lines[entry.lines.length - 1] += parts.shift()!
  const last = parts.pop()!
  for (const p of parts) entry.lines.push(p)
  entry.open = last !== ''
  if (entry.open) entry.lines.push(last)
}

export const createLogsSlice: StateCreator<DevqState, [], [], LogsSlice> = (set, get) => {
  const update = (job: string, attempt: number, change: (e: LogEntry) => void): void => {
    const key = keyOf(job, attempt)
    const entry = get().logs[key] ?? { job, attempt, lines: [], open: false, end: 0, ended: false, version: 0 }
    change(entry)
    set((s) => ({ logs: { ...s.logs, [key]: { ...entry, version: entry.version + 1 } } }))
  }
  return {
    logs: {},
    logOpened: (job, attempt) => { if (get().logs[keyOf(job, attempt)] === undefined) update(job, attempt, () => {}) },
    logAppended: (job, attempt, offset, end, text) => {
      update(job, attempt, (e) => {
        // A chunk that does not start where the held bytes end was already taken (a replay).
        if (offset !== e.end) return
        appendText(e, text)
        e.end = end
      })
    },
    logEnded: (job, attempt, end) => { update(job, attempt, (e) => { e.ended = true; e.end = Math.max(e.end, end) }) },
    logFailed: (job, attempt, message) => { update(job, attempt, (e) => { e.error = message }) }
  }
}
