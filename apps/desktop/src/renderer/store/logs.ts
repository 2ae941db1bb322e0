/**
 * Logs the pages follow, by `<job>:<attempt>`. Each holds its lines in a log buffer (a 100,000-line
 * log is not copied on every chunk); the entry's snapshot changes with every append, so views
 * re-render on new lines only.
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
  return {
    logs: {},
    logOpened: (job, attempt) => { if (get().logs[keyOf(job, attempt)] === undefined) put(job, attempt, entry(job, attempt)) },
    logAppended: (message) => {
      const e = entry(message.job, message.attempt)
      e.buffer.append(message)
      put(message.job, message.attempt, { ...e, snapshot: e.buffer.snapshot() })
    },
    logEnded: (message) => {
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
