/**
 * Property: break one field of a valid pipeline and the error names that field's key path and the
 * line and column where the bad value (or key) sits in the text, found here by plain text search.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { parsePipeline, PipelineError, validatePipeline } from '../../src/index.ts'
import { encodePipeline, pipelineFile } from './arbitraries.ts'

interface Breakage {
  /** Changes the encoded job and returns the key path (after `jobs.<id>.`) and the text to look for. */
  apply: (job: Record<string, unknown>) => { key: string, needle: string, detail: RegExp }
}

const breakages: Record<string, Breakage> = {
  timeout: { apply: (j) => { j.timeout = 'zzsoonzz'; return { key: 'timeout', needle: 'zzsoonzz', detail: /expected a duration/ } } },
  priority: { apply: (j) => { j.priority = 'zzurgentzz'; return { key: 'priority', needle: 'zzurgentzz', detail: /expected one of critical/ } } },
  unknownKey: { apply: (j) => { j.zzbogus = 1; return { key: 'zzbogus', needle: 'zzbogus', detail: /unknown key "zzbogus"/ } } },
  run: {
    apply: (j) => {
      const steps = j.steps as unknown[]
      steps.push({ run: 987654321 })
      return { key: `steps[${steps.length - 1}].run`, needle: '987654321', detail: /expected string/ }
    }
  },
  need: {
    apply: (j) => {
      const needs = Array.isArray(j.needs) ? j.needs as string[] : typeof j.needs === 'string' ? [j.needs] : []
      j.needs = [...needs, 'zzmissing']
      return { key: `needs[${needs.length}]`, needle: 'zzmissing', detail: /unknown job "zzmissing"/ }
    }
  },
  retryWhen: {
    apply: (j) => { j.retry = { max: 1, when: ['zzoomzz'] }; return { key: 'retry.when[0]', needle: 'zzoomzz', detail: /exit_code:N/ } }
  }
}

function positionOf (text: string, needle: string): { line: number, col: number } {
  const offset = text.indexOf(needle)
  expect(offset).toBeGreaterThanOrEqual(0)
  expect(text.indexOf(needle, offset + 1)).toBe(-1)
  const before = text.slice(0, offset)
  return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n') }
}

describe('malformed pipelines', () => {
  it('one broken field gives an error at that key and at that place in the text', () => {
    const kinds = Object.keys(breakages)
    fc.assert(fc.property(pipelineFile, fc.constantFrom(...kinds), fc.nat(), fc.boolean(), (file, kind, pick, flow) => {
      const input = encodePipeline(file, () => false)
      const jobs = input.jobs as Record<string, Record<string, unknown>>
      const ids = Object.keys(jobs)
      const id = ids[pick % ids.length]!
      const { key, needle, detail } = breakages[kind]!.apply(jobs[id]!)
      const text = stringify(input, flow ? { collectionStyle: 'flow' } : {})
      const result = validatePipeline(text, { file: 'x.yml' })
      expect(result.ok).toBe(false)
      if (result.ok) return
      const issue = result.issues.find((i) => i.key === `jobs.${id}.${key}`)
      expect(issue, `${kind} in\n${text}\n${JSON.stringify(result.issues)}`).toBeDefined()
      expect(issue).toMatchObject({ file: 'x.yml', ...positionOf(text, needle) })
      expect(issue?.detail).toMatch(detail)
    }), { numRuns: 300 })
  })

  it('a PipelineError carries the first problem as data and every problem in its message', () => {
    const text = 'jobs:\n  a:\n    priority: urgent\n    timeout: soon\n    steps: [make]\n'
    let caught: unknown
    try {
      parsePipeline(text, { file: 'ci/.devq.yml' })
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(PipelineError)
    const err = caught as PipelineError
    expect(err.name).toBe('PipelineError')
    expect(err.retryable).toBe(false)
    expect(err.data).toEqual({ file: 'ci/.devq.yml', line: 3, col: 15, key: 'jobs.a.priority', detail: 'expected one of critical, high, normal, low' })
    expect(err.message.split('\n')).toEqual([
      'ci/.devq.yml:3:15 jobs.a.priority: expected one of critical, high, normal, low',
      'ci/.devq.yml:4:14 jobs.a.timeout: expected a duration like 30m, 90s or 1h30m, or a number of seconds'
    ])
    expect(JSON.parse(JSON.stringify(err))).toEqual({ name: 'PipelineError', code: 'PipelineError', message: err.message, data: err.data, retryable: false })
  })
})
