/**
 * The log view on a page of its own, for the browser test: a generated log of `?lines=N` lines
 * streamed into a buffer held by a zustand store, as the dashboard's store holds one, and
 * `window.devqLog` to append lines, end the log and read what the page measured.
 */
import type { ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { create } from 'zustand'
import type { LogOutline } from '../../src/renderer/api/types.ts'
import { createLogBuffer, type LogBufferSnapshot } from '../../src/renderer/log/log-buffer.ts'
import { LogView } from '../../src/renderer/log/LogView.tsx'
import { measureLogOpen, type LogOpenFigures } from '../../src/renderer/log/measure-open.tsx'
import { chunkLines, extraLines, sampleLog, type SampleFacts } from '../../src/renderer/log/sample-log.ts'

const JOB = 'f'.repeat(64)

/** What the test reads and drives. */
export interface LogPage {
  facts: SampleFacts
  /** When the open began (performance.now), after the task that generated the log. */
  openStart?: number
  /** From the first chunk fed to the first painted frame showing the last line, ms. */
  openMs?: number
  /** The last line's number after the appended lines. */
  append: (count: number) => number
  end: () => void
  downloads: () => number
  /** Renders of the page's component, to check it renders on new versions only. */
  renders: () => number
  measureOpen: (lines: number) => Promise<LogOpenFigures>
}

declare global {
  interface Window { devqLog: LogPage }
}

const lines = Number(new URLSearchParams(location.search).get('lines') ?? '100000')
const sample = sampleLog(JOB, Number.isFinite(lines) ? lines : 100_000)
const buffer = createLogBuffer({ job: JOB, attempt: 1 })

interface State {
  log: LogBufferSnapshot
  outline: LogOutline | undefined
  downloads: number
}
const useLog = create<State>(() => ({ log: buffer.snapshot(), outline: undefined, downloads: 0 }))
const publish = (): void => { useLog.setState({ log: buffer.snapshot() }) }
const download = (): void => { useLog.setState((s) => ({ downloads: s.downloads + 1 })) }

let renders = 0
function Page (): ReactNode {
  const log = useLog((s) => s.log)
  const outline = useLog((s) => s.outline)
  renders++
  return <LogView buffer={log} outline={outline} onDownload={download} />
}

const frame = async (): Promise<number> => await new Promise((resolve) => requestAnimationFrame(resolve))

async function open (): Promise<void> {
  // Generating the log is the page's own work: the open starts in a task of its own.
  await new Promise((resolve) => setTimeout(resolve, 0))
  const t0 = performance.now()
  window.devqLog.openStart = t0
  for (const m of sample.messages) buffer.append(m)
  // The outline the node would answer for these lines, as the job page fetches it.
  const s = buffer.snapshot()
  useLog.setState({ log: s, outline: { job: JOB, attempt: 1, lines: s.lineCount, groups: [...s.groups] } })
  createRoot(document.getElementById('root')!).render(<Page />)
  while (document.querySelector(`[data-line="${sample.facts.lines}"]`) === null) await frame()
  await frame()
  await new Promise((resolve) => setTimeout(resolve, 0))
  window.devqLog.openMs = performance.now() - t0
}

window.devqLog = {
  facts: sample.facts,
  append (count) {
    const first = buffer.snapshot().lineCount + 1
    for (const m of chunkLines(JOB, 1, extraLines(first, count), buffer.end)) buffer.append(m)
    publish()
    return first + count - 1
  },
  end () {
    buffer.finish({ type: 'log.ended', job: JOB, attempt: 1, end: buffer.end })
    publish()
  },
  downloads: () => useLog.getState().downloads,
  renders: () => renders,
  async measureOpen (n) {
    const root = document.createElement('div')
    root.style.cssText = 'position:fixed;inset:0;height:600px;background:Canvas;z-index:1'
    document.body.append(root)
    try {
      return await measureLogOpen(root, n)
    } finally {
      root.remove()
    }
  }
}

void open()
