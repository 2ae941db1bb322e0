/**
 * A made-up job log of any length, shaped like a real one: the runner's notes and step headers, a
 * few `::group::`s and a `---` header group, ANSI colours of every kind, a word to search for at
 * known places and one error near the end, cut into `log.appended` chunks of whole lines as the
 * node sends them. For the log view's browser test and its bench; knows its own facts so they can
 * check what the view shows. Pure.
 */
import type { LogAppended, LogEnded } from './log-buffer.ts'

/** Fewest lines a sample has: room for its fixed structure. */
export const MIN_SAMPLE_LINES = 200
/** The word some build lines carry, in mixed case, for search. */
export const SAMPLE_NEEDLE = 'Needle'

/** Where the sample's parts are (1-based lines). */
export interface SampleFacts {
  lines: number
  errorLine: number
  /** Lines holding SAMPLE_NEEDLE, once each. */
  needleLines: number[]
  /** Start lines of its groups by name. */
  groups: Record<string, number>
}

export interface SampleLog {
  facts: SampleFacts
  messages: LogAppended[]
  ended: LogEnded
  bytes: number
}

const ESC = '\u001b'
const GREY = `${ESC}[90m`
const RESET = `${ESC}[0m`

/** Places of the fixed parts for a log of n lines. */
function layout (n: number): Record<string, number> {
  const installEnd = Math.max(40, Math.floor(n * 0.05))
  const buildEnd = Math.floor(n * 0.8)
  return { install: 2, resolving: 3, resolvingEnd: 24, installEnd, build: installEnd + 1, buildEnd, env: buildEnd + 1, envEnd: buildEnd + 11, test: buildEnd + 12 }
}

function buildLine (i: number): string {
  if (i % 1000 === 500) return `${ESC}[33mwarn${RESET} module ${i}: ${SAMPLE_NEEDLE} in a haystack, kept for later`
  if (i % 7 === 0) return `${GREY}[12:00:${String(i % 60).padStart(2, '0')}]${RESET} ${ESC}[38;5;208mcache${ESC}[39m restored ${ESC}[1msrc/pkg-${i % 97}/${RESET} (${i % 500} files)`
  return `${ESC}[32m✓${RESET} compiled ${ESC}[1msrc/module-${i}.ts${ESC}[22m in ${ESC}[38;2;120;80;200m${(i % 900) + 3} ms${ESC}[39m`
}

function testLine (i: number): string {
  return `${ESC}[32m  ✓${ESC}[39m suite ${i % 40} › case ${i} ${ESC}[2m(${i % 90} ms)${ESC}[22m`
}

/** The text of line `i` of a sample of `n` lines (1-based, without line break). */
export function sampleLine (n: number, i: number, at: Record<string, number>): string {
  if (i === 1) return '[devq] attempt 1 of build on 12D3KooWSample: commit 4f2a9c1 (refs/heads/main)'
  if (i === at.install) return '+++ [devq] step: install'
  if (i === at.resolving) return '::group::Resolving dependencies'
  if (i === at.resolvingEnd) return '::endgroup::'
  if (i < at.resolvingEnd!) return `${GREY}resolve${RESET} dependency-${i} ${ESC}[36m^${i % 9}.${i % 13}.0${RESET}`
  if (i === at.installEnd) return '[devq] step install succeeded in 3.2 s'
  if (i < at.installEnd!) return `added ${ESC}[1mpackage-${i}${ESC}[22m ${ESC}[90m(${i * 3 % 1000} kB)${ESC}[39m`
  if (i === at.build) return '+++ [devq] step: build'
  for (let k = 1; k <= 3; k++) {
    const g = at[`compile${k}`]!
    if (i === g) return `::group::Compile package ${k}`
    if (i === g + 31) return '::endgroup::'
  }
  if (i === at.buildEnd) return '[devq] step build succeeded in 41.0 s'
  if (i < at.buildEnd!) return buildLine(i)
  if (i === at.env) return '--- Test environment'
  if (i <= at.envEnd!) return `${ESC}[2mENV_${i - at.env!}=value-${i}${ESC}[22m`
  if (i === at.test) return '+++ [devq] step: test'
  if (i === n - 2) return `${ESC}[31;1merror${RESET}: expected status 200, got 500 (test/api.test.ts:41)`
  if (i === n - 1) return `${ESC}[2m    at Object.<anonymous> (test/api.test.ts:41:5)${ESC}[22m`
  if (i === n) return '[devq] step test failed: exit code 1 after 12.4 s'
  return testLine(i)
}

/** Lines appended after a sample, for following tests: `line n+k`. */
export function extraLines (first: number, count: number): string {
  let text = ''
  for (let i = first; i < first + count; i++) text += `${ESC}[34mlive${RESET} appended line ${i}\n`
  return text
}

/** Cuts text of whole lines into chunks of about `size` UTF-16 units, each ending on a line break. */
export function chunkLines (job: string, attempt: number, text: string, offset: number, size = 64 * 1024): LogAppended[] {
  const encoder = new TextEncoder()
  const out: LogAppended[] = []
  let at = 0
  let bytes = offset
  while (at < text.length) {
    const nl = text.indexOf('\n', Math.min(text.length - 1, at + size))
    const stop = nl === -1 ? text.length : nl + 1
    const piece = text.slice(at, stop)
    const end = bytes + encoder.encode(piece).length
    out.push({ type: 'log.appended', job, attempt, offset: bytes, end, text: piece })
    bytes = end
    at = stop
  }
  return out
}

/** A sample log of `lines` lines (at least MIN_SAMPLE_LINES) for `job`, attempt 1. */
export function sampleLog (job: string, lines: number): SampleLog {
  const n = Math.max(MIN_SAMPLE_LINES, Math.floor(lines))
  const at = layout(n)
  const span = at.buildEnd! - at.build!
  for (let k = 1; k <= 3; k++) at[`compile${k}`] = at.build! + Math.floor((span * k) / 4)
  const parts: string[] = []
  const needleLines: number[] = []
  for (let i = 1; i <= n; i++) {
    const line = sampleLine(n, i, at)
    if (line.includes(SAMPLE_NEEDLE)) needleLines.push(i)
    parts.push(line)
  }
  const messages = chunkLines(job, 1, parts.join('\n') + '\n', 0)
  const bytes = messages[messages.length - 1]!.end
  const groups: Record<string, number> = {
    'step: install': at.install!, 'Resolving dependencies': at.resolving!, 'step: build': at.build!,
    'Compile package 1': at.compile1!, 'Compile package 2': at.compile2!, 'Compile package 3': at.compile3!,
    'Test environment': at.env!, 'step: test': at.test!
  }
  return {
    facts: { lines: n, errorLine: n - 2, needleLines, groups },
    messages,
    ended: { type: 'log.ended', job, attempt: 1, end: bytes },
    bytes
  }
}
