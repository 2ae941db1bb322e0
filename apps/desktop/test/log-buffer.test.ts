import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parseGroups } from '@devq/runner'
import { createLogBuffer, type LogAppended, type LogBuffer, type LogBufferSnapshot } from '../src/renderer/log/log-buffer.ts'
import { isErrorLine } from '../src/renderer/log/error-lines.ts'
import { mergeOutline } from '../src/renderer/log/log-groups.ts'

const JOB = 'a'.repeat(64)
const encoder = new TextEncoder()

/** `log.appended` messages for `pieces` in order, from byte `offset`. */
function chunks (pieces: readonly string[], offset = 0): LogAppended[] {
  let at = offset
  return pieces.map((text) => {
    const end = at + encoder.encode(text).length
    const m: LogAppended = { type: 'log.appended', job: JOB, attempt: 1, offset: at, end, text }
    at = end
    return m
  })
}

function fed (pieces: readonly string[], ended = true): LogBuffer {
  const b = createLogBuffer({ job: JOB, attempt: 1 })
  for (const m of chunks(pieces.filter((p) => p !== ''))) expect(b.append(m)).toBe('appended')
  if (ended) expect(b.finish({ type: 'log.ended', job: JOB, attempt: 1, end: b.end })).toBe('ended')
  return b
}

const allLines = (s: LogBufferSnapshot): string[] => Array.from({ length: s.lineCount }, (_, i) => s.text(i + 1))

/** Cuts `text` at the given fractions of its length, never inside a surrogate pair (bytes are cut on characters). */
function cutAt (text: string, cuts: readonly number[]): string[] {
  const lowSurrogate = (i: number): boolean => (text.charCodeAt(i) & 0xfc00) === 0xdc00
  const points = [...new Set(cuts.map((c) => Math.floor(c * text.length)).map((p) => (lowSurrogate(p) ? p + 1 : p)))].sort((a, b) => a - b)
  const out: string[] = []
  let at = 0
  for (const p of [...points, text.length]) {
    if (p > at) out.push(text.slice(at, p))
    at = Math.max(at, p)
  }
  return out
}

const lineArb = fc.oneof(
  fc.constantFrom('::group::Build', '::group:: spaced  ', '::endgroup::', '::endgroup::  ', '--- deps', '+++ tests', '+++ [devq] step: build',
    '---', '--- ', '+++', 'error: boom', '\u001b[31merror\u001b[0m: red', '[devq] step build failed: exit code 2 after 1.0 s',
    'plain output', '', 'é ünïcödé ✓ 🎉', 'carriage\r'),
  fc.string({ maxLength: 30 })
)
const logArb = fc.array(lineArb, { maxLength: 60 }).chain((lines) => fc.record({
  text: fc.constantFrom(lines.join('\n'), lines.join('\n') + '\n', lines.join('\r\n')),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 })
}))

describe('log buffer', () => {
  it('splits chunks into lines, completes an unfinished last line with the next chunk, and drops CR before LF', () => {
    const b = createLogBuffer({ job: JOB, attempt: 1 })
    const [one, two, three] = chunks(['first\r\nsecond\nthi', 'rd\n', 'last without newline'])
    expect(b.append(one!)).toBe('appended')
    let s = b.snapshot()
    expect({ lines: allLines(s), partial: s.partial, end: s.end }).toEqual({ lines: ['first', 'second', 'thi'], partial: true, end: one!.end })
    b.append(two!)
    b.append(three!)
    s = b.snapshot()
    expect(allLines(s)).toEqual(['first', 'second', 'third', 'last without newline'])
    expect(s.partial).toBe(true)
    b.finish({ type: 'log.ended', job: JOB, attempt: 1, end: three!.end })
    expect(b.snapshot()).toMatchObject({ ended: true, partial: false, lineCount: 4, end: three!.end })
    expect(b.snapshot().text(0)).toBe('')
    expect(b.snapshot().text(5)).toBe('')
  })

  it('refuses a chunk that does not follow its end and reports the gap; repeats and other attempts change nothing', () => {
    const b = createLogBuffer({ job: JOB, attempt: 1 })
    const [one, two, three] = chunks(['a\n', 'b\n', 'c\n'])
    b.append(one!)
    const v = b.version
    expect(b.append(three!)).toBe('gap')
    expect(b.snapshot().gap).toEqual({ expected: one!.end, got: three!.offset })
    expect(allLines(b.snapshot())).toEqual(['a'])
    expect(b.append(one!)).toBe('duplicate')
    expect(b.append({ ...two!, attempt: 2 })).toBe('foreign')
    expect(b.append({ ...two!, job: 'b'.repeat(64) })).toBe('foreign')
    expect(b.append({ ...two!, end: two!.offset })).toBe('invalid')
    expect(b.version).toBe(v + 1)
    // Resumed from `end`, the log goes on and the gap is gone.
    expect(b.append(two!)).toBe('appended')
    expect(b.append(three!)).toBe('appended')
    expect(b.snapshot()).toMatchObject({ gap: undefined, lineCount: 3 })
    expect(b.finish({ type: 'log.ended', job: JOB, attempt: 1, end: three!.end + 5 })).toBe('gap')
    expect(b.finish({ type: 'log.ended', job: JOB, attempt: 1, end: three!.end })).toBe('ended')
    expect(b.append(chunks(['d\n'], three!.end)[0]!)).toBe('after_end')
  })

  it('gives the same snapshot object until the version changes', () => {
    const b = createLogBuffer({ job: JOB, attempt: 1 })
    const s0 = b.snapshot()
    expect(b.snapshot()).toBe(s0)
    b.append(chunks(['x\n'])[0]!)
    const s1 = b.snapshot()
    expect(s1).not.toBe(s0)
    expect(s1.version).toBeGreaterThan(s0.version)
    expect(b.snapshot()).toBe(s1)
    // An old snapshot still reads as it was.
    expect(s0.lineCount).toBe(0)
  })

  it('finds groups while the log streams, with open groups ending at the last line so far', () => {
    const b = createLogBuffer({ job: JOB, attempt: 1 })
    const ms = chunks(['+++ [devq] step: build\n::group::Compile\ncc a.c\n', 'cc b.c\n::endgroup::\n--- Deps\nnpm ci\n'])
    b.append(ms[0]!)
    expect(b.snapshot().groups).toEqual([
      { name: '[devq] step: build', line: 1, end: 3, collapsed: false },
      { name: 'Compile', line: 2, end: 3, collapsed: true }
    ])
    b.append(ms[1]!)
    expect(b.snapshot().groups).toEqual([
      { name: '[devq] step: build', line: 1, end: 5, collapsed: false },
      { name: 'Compile', line: 2, end: 5, collapsed: true },
      { name: 'Deps', line: 6, end: 7, collapsed: true }
    ])
  })

  it('finds the first error and the runner\'s failure note', () => {
    const b = fed(['+++ [devq] step: error handling\nok\n\u001b[1;31merror\u001b[0m[E0308]: mismatched types\nerror: later\n', '[devq] step build failed: exit code 101 after 2.5 s\n'])
    expect(b.snapshot().firstError).toBe(3)
    expect(b.snapshot().failure).toEqual({ line: 5, text: '[devq] step build failed: exit code 101 after 2.5 s', step: 'build' })
    const clean = fed(['[devq] no peer could serve the source yet (error: refused); asking again\nall good\n'])
    expect(clean.snapshot()).toMatchObject({ firstError: undefined, failure: undefined })
  })

  it.each([
    ['error: cannot find module', true], ['src/a.ts(3,1): error TS2304: Cannot find name', true], ['npm error code 1', true],
    ['fatal: not a git repository', true], ['FAILED tests/test_a.py::test_x', true], ['Error: ENOENT', true],
    ['panic: runtime error', true], ["thread 'main' panicked at src/main.rs", true], ['make: *** [all] Error 2', true],
    ['Process completed with exit code 2', true], ['npm ERR! code ELIFECYCLE', true], ['Traceback (most recent call last):', true],
    ['[devq] step test timed out after 600.0 s (limit 600 s)', true], ['[devq] failed (runner_error): workspace gone', true],
    ['0 errors, 2 warnings', false], ['errorHandler.ts compiled', false], ['exit code 0', false], ['PASSED 12 failed 0', false],
    ['[devq] step build succeeded in 3.0 s', false], ['::group::error cases', false], ['[devq] step x was cancelled after 1 s', false]
  ])('judges %j an error: %s', (line, want) => {
    expect(isErrorLine(line)).toBe(want)
  })

  it('agrees with the node\'s outline (the runner\'s parser) on any log cut at any points', () => {
    fc.assert(fc.property(logArb, ({ text, cuts }) => {
      const whole = fed([text])
      const pieces = cutAt(text, cuts)
      const cut = fed(pieces.length === 0 ? [] : pieces)
      const a = whole.snapshot()
      const b = cut.snapshot()
      expect(allLines(b)).toEqual(allLines(a))
      expect(b.groups).toEqual(a.groups)
      expect({ firstError: b.firstError, failure: b.failure, end: b.end }).toEqual({ firstError: a.firstError, failure: a.failure, end: a.end })
      const outline = parseGroups(text)
      expect({ lines: a.lineCount, groups: a.groups }).toEqual(outline)
    }), { numRuns: 400 })
  })

  it('merges the node\'s outline with streamed groups, idempotently', () => {
    fc.assert(fc.property(logArb, fc.nat({ max: 60 }), ({ text }, keep) => {
      const s = fed([text]).snapshot()
      // An outline taken when the log was shorter.
      const prefix = s.groups.length === 0 ? '' : text.split('\n').slice(0, keep).join('\n')
      const outline = { job: JOB, attempt: 1, ...parseGroups(prefix) }
      const once = mergeOutline(s.groups, outline, s.lineCount)
      expect(mergeOutline(once, outline, s.lineCount)).toEqual(once)
      expect(once.map((g) => g.line)).toEqual([...once.map((g) => g.line)].sort((x, y) => x - y))
      for (const g of once) expect(g.end).toBeLessThanOrEqual(Math.max(g.line, s.lineCount))
    }), { numRuns: 200 })
    const b = fed(['+++ one\nx\n+++ two\ny\n'])
    expect(b.setOutline({ job: JOB, attempt: 2, lines: 1, groups: [] })).toBe(false)
    expect(b.setOutline({ job: JOB, attempt: 1, lines: 2, groups: [{ name: 'one', line: 1, end: 2, collapsed: true }] })).toBe(true)
    expect(b.snapshot().groups).toEqual([{ name: 'one', line: 1, end: 2, collapsed: true }, { name: 'two', line: 3, end: 4, collapsed: false }])
  })

  it('holds a million lines: appends stay O(chunk) and any line reads back at once', () => {
    const line = (i: number): string => `\u001b[32m✓\u001b[0m line ${i} of the build output, padded to look like a real line`
    let text = ''
    const pieces: string[] = []
    for (let i = 1; i <= 1_000_000; i++) {
      text += line(i) + '\n'
      if (text.length >= 64 * 1024) { pieces.push(text); text = '' }
    }
    pieces.push(text)
    const ms = chunks(pieces)
    const b = createLogBuffer({ job: JOB, attempt: 1 })
    const t0 = performance.now()
    for (const m of ms) b.append(m)
    const appendMs = performance.now() - t0
    const s = b.snapshot()
    expect(s.lineCount).toBe(1_000_000)
    for (const i of [1, 2, 65_537, 500_000, 999_999, 1_000_000]) expect(s.text(i)).toBe(line(i))
    // About 60 MB of text: generous for a slow CI machine, far from what a copy per append would cost.
    expect(appendMs).toBeLessThan(3_000)
    process.stdout.write(`1,000,000 lines (${ms.length} chunks) appended in ${appendMs.toFixed(0)} ms\n`)
  })
})
