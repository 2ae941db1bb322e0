/** The CLI's pure parts: the queue estimate, the log renderer, exit codes, and the committed JSON schema. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CommanderError } from 'commander'
import { ApiRequestError, IdResolveError, NodeNotRunningError, RunError } from '../src/index.ts'
import { estimateStarts, typicalDurations } from '../src/queue-estimate.ts'
import { createLogRenderer, stepHeaderPrefix } from '../src/cli-logs.ts'
import { colorWanted, columns, createStyle } from '../src/cli-style.ts'
import { ExitCode, exitCodeOf } from '../src/cli-exit.ts'
import { renderCliJsonSchema } from '../src/cli-schemas.ts'

const schemaPath = join(import.meta.dirname, '..', '..', '..', 'doc', 'cli-json.schema.json')

describe('queue estimate', () => {
  const runs = (durations: number[], pipelineJob = 'build') => durations.map((d, i) => ({ repo: 'r', pipelineJob, finishedAt: i, durationMs: d }))

  it('takes the median of the same pipeline job, else of all, else unknown', () => {
    const typical = typicalDurations([...runs([10, 30, 20], 'build'), ...runs([1000], 'test')])
    expect(typical('r', 'build')).toBe(20)
    expect(typical('r', 'test')).toBe(1000)
    // Nothing of `lint` finished: the median of the last attempts of any job.
    expect(typical('r', 'lint')).toBe(25)
    expect(typicalDurations([])('r', 'build')).toBeUndefined()
  })

  it('fills free slots first, then the running job that ends first; unknown when no slot frees at a known time', () => {
    const peers = [{ labels: ['linux'], freeSlots: 1, running: [{ elapsedMs: 40, typicalMs: 100 }] }]
    const q = (labels: string[] = [], typicalMs: number | undefined = 50) => ({ labels, typicalMs, notBeforeMs: 0 })
    expect(estimateStarts(peers, [q(), q(), q(), q(['macos'])])).toEqual([0, 50, 60, undefined])
    // A running job past its typical duration frees its slot at an unknown time.
    expect(estimateStarts([{ labels: [], freeSlots: 0, running: [{ elapsedMs: 200, typicalMs: 100 }] }], [q()])).toEqual([undefined])
    // A job of unknown duration leaves its slot's next start unknown.
    expect(estimateStarts([{ labels: [], freeSlots: 1, running: [] }], [{ labels: [], typicalMs: undefined, notBeforeMs: 0 }, q()])).toEqual([0, undefined])
    expect(estimateStarts([{ labels: [], freeSlots: 1, running: [] }], [{ labels: [], typicalMs: 10, notBeforeMs: 500 }])).toEqual([500])
  })

  it('never estimates a later job of the same kind to start before an earlier one', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4 }), fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 4 }), fc.integer({ min: 1, max: 12 }), (free, elapsed, n) => {
      const peers = [{ labels: [], freeSlots: free, running: elapsed.map((e) => ({ elapsedMs: e, typicalMs: 1000 })) }]
      const starts = estimateStarts(peers, Array.from({ length: n }, () => ({ labels: [], typicalMs: 300, notBeforeMs: 0 })))
      const known = starts.filter((s): s is number => s !== undefined)
      expect(known).toEqual([...known].sort((a, b) => a - b))
      if (free + elapsed.length > 0) expect(known).toHaveLength(n)
    }))
  })
})

describe('log renderer', async () => {
  const st = createStyle(true)
  const stepHeader = await stepHeaderPrefix()
  const render = (chunks: readonly Uint8Array[]): string => {
    const r = createLogRenderer(st, stepHeader)
    return chunks.map((c) => r.push(c)).join('') + r.end()
  }
  const log = '+++ [devq] step: compile\n\u001b[1mbold from the build\u001b[0m über\n::group::details\ninside\n::endgroup::\n[devq] step compile succeeded in 1.2 s\n+++ [devq] step: test\n[devq] step test failed: exit code 3 after 0.4 s\n'
  const bytes = Buffer.from(log)

  it('draws headers, step results and a summary, keeps the build\'s own ANSI, and drops endgroup lines', () => {
    const out = render([bytes])
    expect(out).toContain(st.bold(st.cyan('▶ compile')))
    expect(out).toContain('\u001b[1mbold from the build\u001b[0m über\n')
    expect(out).toContain(st.bold('▸ details'))
    expect(out).not.toContain('::endgroup::')
    expect(out).toContain(st.green('✓ step compile succeeded in 1.2 s'))
    expect(out).toContain(st.red('✗ step test failed: exit code 3 after 0.4 s'))
    expect(out).toMatch(/steps:.* compile .*✓.* 1\.2 s, test .*✗.* 0\.4 s\n$/)
  })

  it('gives the same output however the bytes are split, inside a UTF-8 character too', () => {
    const whole = render([bytes])
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), (cuts) => {
      const bounds = [0, ...[...cuts].sort((a, b) => a - b), bytes.length]
      expect(render(bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end)))).toBe(whole)
    }))
  })

  it('shows a line that cannot be a marker before its end arrives', () => {
    const r = createLogRenderer(st, stepHeader)
    expect(r.push(Buffer.from('Compiling 3 files'))).toBe('Compiling 3 files')
    expect(r.push(Buffer.from('... done\n'))).toBe('... done\n')
    expect(r.push(Buffer.from('::gro'))).toBe('')
  })

})

describe('style', () => {
  it('colours only on a terminal, never with --no-color or NO_COLOR; FORCE_COLOR forces it', () => {
    expect(colorWanted({ isTTY: true }, undefined, {})).toBe(true)
    expect(colorWanted({ isTTY: false }, undefined, {})).toBe(false)
    expect(colorWanted({ isTTY: true }, false, {})).toBe(false)
    expect(colorWanted({ isTTY: true }, undefined, { NO_COLOR: '1' })).toBe(false)
    expect(colorWanted({ isTTY: false }, undefined, { FORCE_COLOR: '1' })).toBe(true)
    expect(colorWanted({ isTTY: false }, undefined, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false)
    expect(colorWanted({ isTTY: true }, undefined, { TERM: 'dumb' })).toBe(false)
  })

  it('aligns columns by what shows, colour codes left out', () => {
    const st = createStyle(true)
    expect(columns([[st.red('a'), 'x'], ['bbb', 'y']])).toEqual([`${st.red('a')}    x`, 'bbb  y'])
  })
})

describe('exit codes', () => {
  it('map each kind of error to its code', () => {
    const fromNode = (status: number): Error => new RunError('bad', { reason: 'bad_pipeline', detail: '' }, { cause: new ApiRequestError('HTTP', { status, detail: 'POST /v1/runs' }) })
    expect(exitCodeOf(new NodeNotRunningError('none', { dataDir: '/x' }))).toBe(ExitCode.noNode)
    expect(exitCodeOf(new IdResolveError('two', { query: 'abcd', detail: 'ambiguous', matches: [] }))).toBe(ExitCode.usage)
    expect(exitCodeOf(fromNode(400))).toBe(ExitCode.usage)
    expect(exitCodeOf(new ApiRequestError('gateway', { status: 502, detail: 'x' }))).toBe(ExitCode.nodeFailed)
    expect(exitCodeOf(new CommanderError(1, 'commander.unknownOption', 'unknown option'))).toBe(ExitCode.usage)
    expect(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', 'help'))).toBe(ExitCode.ok)
    expect(exitCodeOf(new TypeError('bug'))).toBe(ExitCode.nodeFailed)
  })
})

describe('doc/cli-json.schema.json', () => {
  it('equals freshly generated output (run npm run schema:cli)', () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(renderCliJsonSchema())
  })
})
