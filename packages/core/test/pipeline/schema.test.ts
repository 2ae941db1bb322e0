/** The committed editor schema is what the parser's zod schema generates, and it is not vacuous. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderPipelineJsonSchema } from '../../src/index.ts'
import { schemaPath, schemaValidator } from './helpers.ts'

describe('pipeline JSON schema', () => {
  it('schema/devq.schema.json equals freshly generated output (run npm run schema)', () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(renderPipelineJsonSchema())
  })

  it('describes the keys editors complete', () => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { properties: Record<string, unknown>, required: string[] }
    expect(Object.keys(schema.properties)).toEqual(['version', 'env', 'concurrency', 'jobs'])
    expect(schema.required).toEqual(['jobs'])
  })

  it('accepts the shorthands and rejects what is plainly wrong', () => {
    const validate = schemaValidator()
    const ok = {
      concurrency: 'ci-${DEVQ_REF}',
      jobs: {
        build: {
          'runs-on': 'linux', needs: 'lint', retry: 2, timeout: 90, steps: ['make'],
          artifacts: [{ name: 'bin', paths: 'out/*' }], matrix: { os: ['linux', 'macos'], node: [20, 22] }
        },
        lint: { 'runs-on': ['linux', 'x64'], timeout: '1h30m', retry: { max: 1, when: ['exit_code:2'] }, steps: [{ run: 'lint', timeout: '5m' }] }
      }
    }
    expect(validate(ok)).toBe(true)
    expect(validate({ jobs: { build: { steps: ['make'], runs_on: 'linux' } } })).toBe(false)
    expect(validate({ jobs: { build: { steps: 'make' } } })).toBe(false)
    expect(validate({ jobs: { build: { steps: ['make'], priority: 'urgent' } } })).toBe(false)
    expect(validate({ jobs: { build: { steps: ['make'], timeout: '30 minutes' } } })).toBe(false)
    expect(validate({ jobs: { 'build it': { steps: ['make'] } } })).toBe(false)
    expect(validate({ jobs: { build: { steps: ['make'] } }, extra: 1 })).toBe(false)
  })
})
