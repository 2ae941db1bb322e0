/**
 * Which log lines are errors: the build's own (compilers, test runners, git, make, npm) and the
 * notes the runner writes when a step or the attempt fails. Judged on text without ANSI codes, since
 * tools colour the word `error` itself. Pure.
 */
import { mayBeMarker, markerOf } from './log-groups.ts'

/** Prefix of every line the runner writes itself (packages/runner logs/writer.ts NOTE_PREFIX). */
export const NOTE_PREFIX = '[devq] '

/**
 * What the runner writes when a step does not succeed (executor/steps.ts `describe`) or the
 * attempt stops (executor/attempt.ts): `step <name> failed: exit code 2 after 3.1 s`,
 * `step <name> timed out after ...`, `failed (<failure>): <message>`.
 */
const STEP_FAILED = /^\[devq\] step (.+?) (?:failed: |timed out after )/
const ATTEMPT_FAILED = /^\[devq\] failed \(/

/**
 * Words every error pattern below holds: a cheap test that rules out nearly every line first. On
 * text with ANSI codes it misses a word cut by a code (`er\x1b[0mror`), which tools do not write.
 */
export const ERROR_HINT = /err|fatal|fail|panic|traceback|exit/gi

const PATTERNS: readonly RegExp[] = [
  /\berror\b(?:\[\w+\])?[:\s]/i,
  /\bfatal:/i,
  /\bFAILED\b/,
  /\bpanic(?:ked)?\b[:\s]/,
  /^Traceback \(most recent call last\)/,
  /^npm ERR!/,
  /\bexit(?:ed with)? (?:code|status) [1-9]\d*/i
]

/** A note of the runner saying the job failed: its line, text, and the step when it names one. */
export interface FailureNote {
  line: number
  text: string
  step?: string
}

/** The failure the runner noted on line `n` (plain text), or undefined. */
export function failureNote (n: number, plain: string): FailureNote | undefined {
  if (!plain.startsWith(NOTE_PREFIX)) return undefined
  const step = STEP_FAILED.exec(plain)
  if (step !== null) return { line: n, text: plain, step: step[1]! }
  return ATTEMPT_FAILED.test(plain) ? { line: n, text: plain } : undefined
}

/**
 * Whether a line (plain text, no ANSI) reads as an error. Group markers never do (a step named
 * `error handling` is no error), and of the runner's own notes only its failure notes do, so a
 * retried source fetch that mentions an error does not count.
 */
export function isErrorLine (plain: string): boolean {
  if (plain.startsWith(NOTE_PREFIX)) return STEP_FAILED.test(plain) || ATTEMPT_FAILED.test(plain)
  ERROR_HINT.lastIndex = 0
  if (!ERROR_HINT.test(plain)) return false
  if (mayBeMarker(plain.charCodeAt(0)) && markerOf(plain) !== undefined) return false
  return PATTERNS.some((p) => p.test(plain))
}
