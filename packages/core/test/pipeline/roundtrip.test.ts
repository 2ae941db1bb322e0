/** Property tests: valid pipelines survive YAML and parsing unchanged; plans keep their invariants. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { parsePipeline, PIPELINE_DEFAULTS, planPipeline, validatePipeline } from '../../src/index.ts'
import { encodePipeline, pipelineFile } from './arbitraries.ts'
import { schemaValidator } from './helpers.ts'
import { globalEnvLengths, jobPlanSize } from '../../src/pipeline/budget.ts'

/** A small deterministic coin so each shrink of a case writes the same shorthands. */
function coinFrom (seed: number): () => boolean {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
    return (s & 1) === 1
  }
}

const yamlOptions = [{}, { defaultStringType: 'QUOTE_DOUBLE' as const }, { collectionStyle: 'flow' as const }]

describe('pipeline round trip', () => {
  it('normalized pipelines round-trip through YAML in any mix of shorthands', () => {
    fc.assert(fc.property(pipelineFile, fc.integer(), fc.nat(yamlOptions.length - 1), (file, seed, style) => {
      const text = stringify(encodePipeline(file, coinFrom(seed)), yamlOptions[style])
      const result = validatePipeline(text)
      if (!result.ok) throw new Error(`${result.issues.map((i) => `${i.key}: ${i.detail}`).join('\n')}\n---\n${text}`)
      expect(result.value).toEqual(file)
    }), { numRuns: 300 })
  })

  it('the committed JSON schema accepts every input form the parser accepts', () => {
    const validate = schemaValidator()
    fc.assert(fc.property(pipelineFile, fc.integer(), (file, seed) => {
      expect(validate(encodePipeline(file, coinFrom(seed)))).toBe(true)
    }), { numRuns: 200 })
  })

  it('plans have unique ids, resolved needs, merged env and bounded step timeouts', () => {
    fc.assert(fc.property(pipelineFile, fc.integer(), fc.stringMatching(/^refs\/heads\/[a-z]{1,8}$/), (file, seed, ref) => {
      const parsed = parsePipeline(stringify(encodePipeline(file, coinFrom(seed))))
      const plan = planPipeline(parsed, { ref, repo: 'repo1' })
      expect(plan).toEqual(planPipeline(parsed, { ref, repo: 'repo1' }))
      const ids = plan.jobs.map((j) => j.id)
      expect(new Set(ids).size).toBe(ids.length)
      plan.jobs.forEach((job, i) => {
        const spec = file.jobs[job.job]!
        expect(new Set(job.needs).size).toBe(job.needs.length)
        // Needs point only at earlier jobs in the generated files, and every job of a needed id is needed.
        for (const need of job.needs) expect(ids.indexOf(need)).toBeLessThan(i)
        const expectedNeeds = plan.jobs.filter((j) => spec.needs.includes(j.job)).map((j) => j.id)
        expect(job.needs).toEqual(expectedNeeds)
        expect(job.timeoutMs).toBe(spec.timeoutMs ?? PIPELINE_DEFAULTS.timeoutMs)
        expect(job.retry).toEqual(spec.retry ?? PIPELINE_DEFAULTS.retry)
        for (const [axis, value] of Object.entries(job.matrix)) expect(job.env[axis]).toBe(value)
        for (const key of Object.keys(file.env)) expect(Object.hasOwn(job.env, key)).toBe(true)
        job.steps.forEach((step, s) => {
          const own = spec.steps[s]!.env
          expect(step.timeoutMs).toBeLessThanOrEqual(job.timeoutMs)
          for (const [key, value] of Object.entries(job.env)) {
            if (!Object.hasOwn(own, key)) expect(step.env[key]).toBe(value)
          }
          for (const key of Object.keys(own)) expect(Object.hasOwn(step.env, key)).toBe(true)
        })
        if (file.concurrency !== undefined) {
          expect(job.group?.name).toBe(`${file.concurrency.group.replace('${DEVQ_REF}', ref)}/${job.id}`)
          expect(job.group?.cancelInProgress).toBe(file.concurrency.cancelInProgress)
        }
      })
    }), { numRuns: 200 })
  })
})

describe('plan size budget', () => {
  it('the size estimate matches the plan built with the longest built-in values', () => {
    fc.assert(fc.property(pipelineFile, (file) => {
      const plan = planPipeline(file, { ref: 'r'.repeat(256), repo: 'p'.repeat(128) })
      const global = globalEnvLengths(file)
      for (const [id, spec] of Object.entries(file.jobs)) {
        const jobs = plan.jobs.filter((j) => j.job === id)
        const combos = jobs.map((j) => j.matrix)
        let actual = 0
        for (const job of jobs) {
          actual += entries(job.env)
          for (const a of job.artifacts) actual += [a.name, ...a.paths, ...a.exclude].reduce((n, s) => n + s.length + 16, 0)
          job.steps.forEach((step, i) => { actual += 64 + entries(step.env) + step.run.length + (spec.steps[i]?.name === undefined ? 0 : step.name.length) })
        }
        expect(jobPlanSize(spec, global, combos, Infinity)).toBe(actual)
      }
    }), { numRuns: 200 })
  })
})

function entries (env: Record<string, string>): number {
  return Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length + 16, 0)
}
