/**
 * Logs the pages follow, by `<job>:<attempt>`. Each holds its lines in a log buffer (a 100,000-line
 * log is not copied on every chunk); the entry's snapshot changes when lines were added, so views
 * re-render on new lines only. A log arriving fast comes as dozens of chunks a second: the buffer
 * takes each at once, but a new snapshot goes out at most once per animation frame, so the page
 * draws once per frame instead of once per chunk.
 */
import type { StateCreator } from 'zustand'
import { createLogBuffer } from '../log/index.ts'
import type { DevqState, LogEntry, LogsSlice } from './state.ts'

const keyOf = (job: string, attempt: number): string => `${job}:${attempt}`

export const createLogsSlice: StateCreator<DevqState, [], [], LogsSlice> = (set, get) => {
  const entry = (job: string, attempt: number): LogEntry => {
    const held = get().logs[keyOf(job, attempt)]
    if (held !== undefined) return held
    const buffer = createLogBuffer({ job, attempt })
    return { buffer, snapshot: buffer.snapshot() }
  }
  const put = (job: string, attempt: number, e: LogEntry): void => {
    set((s) => ({ logs: { ...s.logs, [keyOf(job, attempt)]: e } }))
  }
  /** Logs with lines not yet in their snapshot. */
  const unpublished = new Map<string, [job: string, attempt: number]>()
  const publish = (): void => {
    for (const [job, attempt] of unpublished.values()) {
      const e = entry(job, attempt)
      put(job, attempt, { ...e, snapshot: e.buffer.snapshot() })
    }
    unpublished.clear()
  }
  const later = (job: string, attempt: number): void => {
    if (unpublished.size === 0) (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible' ? requestAnimationFrame : queueMicrotask)(publish)
    unpublished.set(keyOf(job, attempt), [job, attempt])
  }
  return {
    logs: {},
    logOpened: (job, attempt) => { if (get().logs[keyOf(job, attempt)] === undefined) put(job, attempt, entry(job, attempt)) },
    logAppended: (message) => {
      const e = entry(message.job, message.attempt)
      if (get().logs[keyOf(message.job, message.attempt)] === undefined) put(message.job, message.attempt, e)
      const took = e.buffer.append(message)
      if (took === 'appended' || took === 'gap') later(message.job, message.attempt)
    },
    logEnded: (message) => {
      // The ended snapshot below has every line: nothing of this log is left to publish.
      unpublished.delete(keyOf(message.job, message.attempt))
      const e = entry(message.job, message.attempt)
      e.buffer.finish(message)
      put(message.job, message.attempt, { ...e, snapshot: e.buffer.snapshot() })
    },
    outlineLoaded: (outline) => {
      const e = entry(outline.job, outline.attempt)
      if (e.buffer.setOutline(outline)) put(outline.job, outline.attempt, { ...e, snapshot: e.buffer.snapshot() })
    },
    logFailed: (job, attempt, message) => { put(job, attempt, { ...entry(job, attempt), error: message }) }
  }
}
