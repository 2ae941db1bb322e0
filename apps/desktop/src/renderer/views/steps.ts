/**
 * A job's steps as its log tells them: the runner opens each with `+++ [devq] step: <name>` and ends
 * it with `[devq] step <name> succeeded in 1.2 s` (or failed, timed out, was cancelled).
 */

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'timed out' | 'cancelled' | 'stopped'

export interface StepRow {
  name: string
  /** 1-based line of its header. */
  line: number
  status: StepStatus
  /** Seconds, as the runner wrote them; undefined while running. */
  seconds?: number
  /** Why it failed, when it did. */
  detail?: string
}

const HEADER = '+++ [devq] step: '
const END = /^\[devq\] step (.+?) (succeeded in|failed: (.*) after|timed out after|was cancelled after) (\d+(?:\.\d+)?) s/

function outcome (word: string): StepStatus {
  if (word.startsWith('succeeded')) return 'succeeded'
  if (word.startsWith('failed')) return 'failed'
  if (word.startsWith('timed')) return 'timed out'
  return 'cancelled'
}

/** A log's lines: how many, and line `n` (1-based). */
export interface Lines { count: number, text: (n: number) => string }

/** The steps in `lines`; a step without an end line is running, or `stopped` once the log ended. */
export function stepsOf (lines: Lines, ended: boolean): StepRow[] {
  const steps: StepRow[] = []
  for (let i = 0; i < lines.count; i++) {
    const l = lines.text(i + 1)
    if (l.charCodeAt(0) !== 0x2b && l.charCodeAt(0) !== 0x5b) continue
    if (l.startsWith(HEADER)) {
      steps.push({ name: l.slice(HEADER.length), line: i + 1, status: 'running' })
      continue
    }
    if (!l.startsWith('[devq] step ')) continue
    const m = END.exec(l)
    const open = steps.at(-1)
    if (m === null || open === undefined || open.status !== 'running' || m[1] !== open.name) continue
    open.status = outcome(m[2]!)
    open.seconds = Number(m[4])
    if (m[3] !== undefined) open.detail = m[3]
  }
  if (ended) for (const s of steps) if (s.status === 'running') s.status = 'stopped'
  return steps
}
