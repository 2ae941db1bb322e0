/**
 * How long the log view takes to open a big log to its end, in the page it runs in: for the `ui`
 * bench and the view's browser test. Call it from a page that loaded this module (the test page
 * apps/desktop/test/pages/log.html exposes it as `window.devqLog.measureOpen`).
 */
import { createRoot } from 'react-dom/client'
import { createLogBuffer } from './log-buffer.ts'
import { LogView } from './LogView.tsx'
import { sampleLog } from './sample-log.ts'

/** Figures of one open. Times in ms, from performance.now(). */
export interface LogOpenFigures {
  lines: number
  bytes: number
  /** From handing the first chunk to a new buffer to the first painted frame showing the last line. */
  openMs: number
  /** The part of `openMs` spent feeding the chunks to the buffer. */
  feedMs: number
  /** Longest main-thread task during the open (0 when none took over 50 ms, the long-task floor). */
  longestTaskMs: number
  /** Rows in the DOM once open. */
  domRows: number
}

const frame = async (): Promise<number> => await new Promise((resolve) => requestAnimationFrame(resolve))
/** Resolves after the next frame was painted: a task queued from rAF runs after its paint. */
const painted = async (): Promise<void> => { await frame(); await new Promise((resolve) => setTimeout(resolve, 0)) }

/**
 * Mounts a LogView in `root` (which should have a height, e.g. 600px) for a generated log of
 * `lines` lines, all streamed in before the first render as after a reload of a finished job, and
 * answers the figures. Unmounts afterwards unless `keep` is set. One at a time per page.
 */
export async function measureLogOpen (root: HTMLElement, lines = 100_000, keep = false): Promise<LogOpenFigures> {
  const sample = sampleLog('bench', lines)
  const last = sample.facts.lines
  let longest = 0
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longest = Math.max(longest, e.duration)
  })
  const watching = PerformanceObserver.supportedEntryTypes.includes('longtask')
  if (watching) observer.observe({ type: 'longtask' })
  await painted()
  const t0 = performance.now()
  const buffer = createLogBuffer({ job: 'bench', attempt: 1 })
  for (const m of sample.messages) buffer.append(m)
  buffer.finish(sample.ended)
  const feedMs = performance.now() - t0
  const react = createRoot(root)
  react.render(<LogView buffer={buffer.snapshot()} onDownload={() => {}} />)
  while (root.querySelector(`[data-line="${last}"]`) === null) await frame()
  await painted()
  const openMs = performance.now() - t0
  // Entries of tasks that ended are queued by now, though maybe not yet delivered.
  for (const e of observer.takeRecords()) longest = Math.max(longest, e.duration)
  observer.disconnect()
  const domRows = root.querySelectorAll('.log-row').length
  if (!keep) react.unmount()
  return { lines: last, bytes: sample.bytes, openMs, feedMs, longestTaskMs: longest, domRows }
}
