/** Hostile input is refused quickly and with a located error, never by exhausting time or stack. */
import { describe, expect, it } from 'vitest'
import { parsePipeline, PIPELINE_LIMITS, PipelineError, validatePipeline } from '../../src/index.ts'

/** Runs `parsePipeline`, expects a PipelineError, and returns it with the time taken. */
function reject (text: string): { err: PipelineError, ms: number } {
  const t0 = performance.now()
  try {
    parsePipeline(text, { file: 'p.yml' })
  } catch (err) {
    const ms = performance.now() - t0
    expect(err).toBeInstanceOf(PipelineError)
    return { err: err as PipelineError, ms }
  }
  throw new Error('expected a PipelineError')
}

const step = '    steps: [make]\n'

describe('pipeline limits', () => {
  it('rejects a billion-laughs alias bomb', () => {
    const rows = ['x: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i)
      rows.push(`${String.fromCharCode(97 + i)}${i}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`)
    }
    const text = `env:\n  A: x\njobs:\n  build:\n${step}bomb:\n${rows.map((r) => `  ${r}`).join('\n')}\n`
    const { err, ms } = reject(text)
    expect(err.data.detail).toMatch(/too many aliases/)
    expect(ms).toBeLessThan(2000)
  })

  it('rejects a file over the size cap before parsing it', () => {
    const text = `jobs:\n  build:\n${step}# ${'x'.repeat(PIPELINE_LIMITS.maxBytes)}\n`
    const { err, ms } = reject(text)
    expect(err.data).toMatchObject({ line: 1, col: 1, key: '' })
    expect(err.message).toMatch(/^p\.yml:1:1 file is \d+ bytes; at most 262144 are accepted/)
    expect(ms).toBeLessThan(2000)
  })

  it('counts bytes, not characters, against the cap', () => {
    const text = `jobs:\n  build:\n${step}# ${'é'.repeat(PIPELINE_LIMITS.maxBytes / 2)}\n`
    expect(text.length).toBeLessThan(PIPELINE_LIMITS.maxBytes + 100)
    expect(reject(text).err.data.detail).toMatch(/bytes/)
  })

  it('rejects deep flow nesting without recursing into it', () => {
    const depth = 120_000
    const text = `jobs:\n  build:\n${step}    env: { A: ${'['.repeat(depth)}${']'.repeat(depth)} }\n`
    const { err, ms } = reject(text)
    expect(err.data).toMatchObject({ line: 4, key: '', detail: `nesting deeper than ${PIPELINE_LIMITS.maxDepth} levels` })
    expect(ms).toBeLessThan(2000)
  })

  it('rejects deep block nesting at the node that crosses the bound', () => {
    let text = 'jobs:\n  build:\n    steps: [make]\n    env:\n'
    for (let i = 0; i < 600; i++) text += `${' '.repeat(6 + i)}k${i}:\n`
    const { err, ms } = reject(text)
    expect(err.data.detail).toBe(`nesting deeper than ${PIPELINE_LIMITS.maxDepth} levels`)
    // jobs, build, env and 61 nested maps are allowed; the 65th collection starts on line 66.
    expect(err.data.line).toBe(PIPELINE_LIMITS.maxDepth + 2)
    expect(ms).toBeLessThan(2000)
  })

  it('accepts brackets inside quoted and plain scalars', () => {
    const run = '['.repeat(200)
    const text = `jobs:\n  build:\n    steps:\n      - echo ${run}\n      - "${run}"\n`
    expect(validatePipeline(text).ok).toBe(true)
  })

  it('rejects a matrix far beyond the cap without expanding it', () => {
    const axis = `[${Array.from({ length: 64 }, (_, i) => i).join(', ')}]`
    const axes = Array.from({ length: 12 }, (_, i) => `      a${i}: ${axis}`).join('\n')
    const t0 = performance.now()
    const r = validatePipeline(`jobs:\n  build:\n${step}    matrix:\n${axes}\n`)
    expect(performance.now() - t0).toBeLessThan(2000)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues[0]).toMatchObject({ key: 'jobs.build.matrix', line: 4, col: 5 })
  })

  it('lets excludes bring a larger cross product under the cap', () => {
    const values = `[${Array.from({ length: 20 }, (_, i) => i).join(', ')}]`
    const exclude = Array.from({ length: 10 }, (_, i) => `        - { a: ${i} }`).join('\n')
    const text = `jobs:\n  build:\n${step}    matrix:\n      a: ${values}\n      b: ${values}\n      exclude:\n${exclude}\n`
    const r = validatePipeline(text)
    expect(r.ok).toBe(true)
  })

  it('caps the planned jobs across all matrices', () => {
    const values = `[${Array.from({ length: 16 }, (_, i) => i).join(', ')}]`
    const job = (id: string): string => `  ${id}:\n${step}    matrix:\n      a: ${values}\n      b: ${values}\n`
    const text = `jobs:\n${['j1', 'j2', 'j3', 'j4', 'j5'].map(job).join('')}`
    const r = validatePipeline(text)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues[0]).toMatchObject({ key: 'jobs', detail: 'expands to 1280 jobs; at most 1024' })
  })
})

describe('plan size budget', () => {
  it('rejects a small file whose plan would be huge, without building it', () => {
    const values = `[${Array.from({ length: 16 }, (_, i) => i).join(', ')}]`
    const run = '${BIG}'.repeat(2000)
    const text = [
      'env:', `  BIG: ${'x'.repeat(4000)}`,
      'jobs:', '  build:', '    matrix:', `      a: ${values}`, `      b: ${values}`,
      '    steps:', ...Array.from({ length: 4 }, () => `      - "${run}"`)
    ].join('\n')
    expect(text.length).toBeLessThan(PIPELINE_LIMITS.maxBytes)
    const t0 = performance.now()
    const r = validatePipeline(text)
    expect(performance.now() - t0).toBeLessThan(2000)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues[0]).toMatchObject({ key: 'jobs.build', line: 4, col: 3 })
    if (!r.ok) expect(r.issues[0]?.detail).toMatch(/the plan grows past 16 MiB/)
  })
})
