/**
 * Scenario fixtures: each `fixtures/NN-name.yaml` pairs with `NN-name.json`, which holds either the
 * expected error (`line`, `col`, `key`, and a fragment of `detail`) or a plan context and a partial
 * expected plan (matched with `toMatchObject`, so a fixture states only what it is about).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { parsePipeline, planPipeline, PipelineError, type PlanContext } from '../../src/index.ts'
import { schemaValidator } from './helpers.ts'

interface ErrorOutcome { error: { line: number, col: number, key: string, detail: string } }
interface PlanOutcome { context: PlanContext, plan: object }

const dir = join(import.meta.dirname, 'fixtures')
const names = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort()
const load = (name: string): { text: string, expected: ErrorOutcome | PlanOutcome } => ({
  text: readFileSync(join(dir, `${name}.yaml`), 'utf8'),
  expected: JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as ErrorOutcome | PlanOutcome
})

describe('pipeline fixtures', () => {
  it('every fixture has a name like NN-name and an expected outcome', () => {
    expect(names.length).toBeGreaterThan(20)
    for (const name of names) {
      expect(name).toMatch(/^\d{2}-[a-z0-9-]+$/)
      expect(readdirSync(dir)).toContain(`${name}.json`)
    }
  })

  it.each(names)('%s', (name) => {
    const { text, expected } = load(name)
    const file = `${name}.yaml`
    if ('error' in expected) {
      let caught: unknown
      try {
        parsePipeline(text, { file })
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(PipelineError)
      const err = caught as PipelineError
      expect(err.code).toBe('PipelineError')
      const { line, col, key, detail } = expected.error
      expect(err.data).toMatchObject({ file, line, col, key })
      expect(err.data.detail).toContain(detail)
      const head = key === '' ? `${file}:${line}:${col} ` : `${file}:${line}:${col} ${key}: `
      expect(err.message.startsWith(head)).toBe(true)
    } else {
      const plan = planPipeline(parsePipeline(text, { file }), expected.context)
      expect(plan).toMatchObject(expected.plan)
      expect(plan.file).toBe(file)
    }
  })

  it('the generated JSON schema accepts every valid fixture as written', () => {
    const validate = schemaValidator()
    for (const name of names) {
      const { text, expected } = load(name)
      if ('error' in expected) continue
      expect(validate(parse(text, { merge: true })), name).toBe(true)
    }
  })
})
