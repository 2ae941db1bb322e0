/**
 * A job's steps as its log tells them: the runner opens each with `+++ [devq] step: <name>` (a
 * group) and ends it with `[devq] step <name> succeeded in 1.2 s` (or failed, timed out, was cancelled).
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

/** The name of the group a step header opens. */
const STEP_GROUP = '[devq] step: '
const END = /^\[devq\] step (.+?) (succeeded in|failed: (.*) after|timed out after|was cancelled after) (\d+(?:\.\d+)?) s/

function outcome (word: string): StepStatus {
  if (word.startsWith('succeeded')) return 'succeeded'
  if (word.startsWith('failed')) return 'failed'
  if (word.startsWith('timed')) return 'timed out'
  return 'cancelled'
}

/** What steps are read from: the log's groups (the log buffer keeps them) and its lines by number. */
export interface StepSource {
  groups: readonly { name: string, line: number, end: number, collapsed: boolean }[]
  text: (n: number) => string
}

/** The note ending the step of group `g`, among the runner's notes at the group's end. */
function endNote (log: StepSource, g: StepSource['groups'][number]): RegExpExecArray | undefined {
  for (let n = g.end; n > g.line; n--) {
    const text = log.text(n)
    if (!text.startsWith('[devq] ')) return undefined
    const m = END.exec(text)
    if (m !== null) return m
  }
  return undefined
}

/**
 * The steps of a log: each step header opens an expanded group that runs to the line before the
 * next header, and the runner's note ending the step is among the notes that close that group
 * (after the last step, notes on artifacts follow it). Reads only those notes, not the whole log.
 * A step without its note is running, or `stopped` once the log ended.
 */
export function stepsOf (log: StepSource, ended: boolean): StepRow[] {
  return log.groups.filter((g) => !g.collapsed && g.name.startsWith(STEP_GROUP)).map((g) => {
    const step: StepRow = { name: g.name.slice(STEP_GROUP.length), line: g.line, status: ended ? 'stopped' : 'running' }
    const m = endNote(log, g)
    if (m === undefined || m[1] !== step.name) return step
    step.status = outcome(m[2]!)
    step.seconds = Number(m[4])
    if (m[3] !== undefined) step.detail = m[3]
    return step
  })
}
