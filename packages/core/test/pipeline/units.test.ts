/** The small pure pieces: durations, placeholders, key paths, matrix expansion. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { durationMs, planPipeline, parsePipeline } from '../../src/index.ts'
import { interpolate, placeholders } from '../../src/pipeline/interpolate.ts'
import { formatKeyPath } from '../../src/pipeline/issues.ts'
import { concreteJobId, countCombinations, expandMatrix } from '../../src/pipeline/matrix.ts'
import type { MatrixSpec } from '../../src/index.ts'

describe('durations', () => {
  it('reads unit strings and seconds', () => {
    expect(durationMs('90s')).toBe(90_000)
    expect(durationMs('30m')).toBe(1_800_000)
    expect(durationMs('1h30m')).toBe(5_400_000)
    expect(durationMs('2d')).toBe(172_800_000)
    expect(durationMs(90)).toBe(90_000)
    expect(durationMs(1.5)).toBe(1500)
    for (const bad of ['', '30', '30 m', '1m1h', '1.5h', 'm', '-1s']) expect(durationMs(bad), bad).toBeUndefined()
  })

  it('d h m s text reads back as the sum of its parts', () => {
    fc.assert(fc.property(fc.nat(40), fc.nat(23), fc.nat(59), fc.nat(59), (d, h, m, s) => {
      const text = `${d > 0 ? `${d}d` : ''}${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`
      fc.pre(text !== '')
      expect(durationMs(text)).toBe(((d * 24 + h) * 60 + m) * 60_000 + s * 1000)
    }))
  })
})

describe('placeholders', () => {
  it('fills known names, keeps unknown ones and shell forms, unescapes $${}', () => {
    const vars = { os: 'linux', DEVQ_REF: 'refs/heads/main' }
    expect(interpolate('ci-${DEVQ_REF}-${os}', vars)).toBe('ci-refs/heads/main-linux')
    expect(interpolate('${HOME}/x $os ${os:-y}', vars)).toBe('${HOME}/x $os ${os:-y}')
    expect(interpolate('$${os} ${os}', vars)).toBe('${os} linux')
    expect(placeholders('${a} $${b} ${c}')).toEqual(['a', 'c'])
  })

  it('text without placeholders is left as it is', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      fc.pre(!s.includes('${'))
      expect(interpolate(s, { a: 'b' })).toBe(s)
    }))
  })
})

describe('key paths', () => {
  it('writes identifiers with dots, indexes in brackets and odd keys quoted', () => {
    expect(formatKeyPath(['jobs', 'build', 'steps', 1, 'run'])).toBe('jobs.build.steps[1].run')
    expect(formatKeyPath(['jobs', 'build', 'runs-on', 0])).toBe('jobs.build.runs-on[0]')
    expect(formatKeyPath(['jobs', 'build it'])).toBe('jobs["build it"]')
    expect(formatKeyPath([])).toBe('')
  })
})

describe('matrix', () => {
  const m: MatrixSpec = { axes: { os: ['linux', 'macos'], node: ['20', '22'] }, include: [{ os: 'windows' }, { os: 'linux', node: '20' }], exclude: [{ os: 'macos', node: '20' }] }

  it('expands the cross product, drops excludes, appends new includes', () => {
    expect(expandMatrix(m).map((c) => concreteJobId('build', c))).toEqual([
      'build (os=linux, node=20)', 'build (os=linux, node=22)', 'build (os=macos, node=22)', 'build (os=windows)'
    ])
    expect(countCombinations(m, 256)).toBe(4)
    expect(concreteJobId('build', undefined)).toBe('build')
  })

  it('counting never expands a product far over the cap', () => {
    const huge = { axes: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`a${i}`, Array.from({ length: 64 }, (_, j) => String(j))])), include: [], exclude: [] }
    const t0 = performance.now()
    expect(countCombinations(huge, 256)).toBe(257)
    expect(performance.now() - t0).toBeLessThan(100)
  })

  it('counts exactly what it expands', () => {
    const axis = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1 })
    fc.assert(fc.property(axis, axis, fc.subarray(['a', 'b', 'c']), (x, y, ex) => {
      const matrix = { axes: { x, y }, include: [{ x: 'z' }], exclude: ex.map((v) => ({ x: v })) }
      expect(countCombinations(matrix, 1000)).toBe(expandMatrix(matrix).length)
    }))
  })
})

describe('planning details', () => {
  it('names matrix jobs, labels from the matrix, and shortens long groups', () => {
    const file = parsePipeline([
      'concurrency: { group: "g-${DEVQ_REF}", cancel-in-progress: true }',
      'jobs:',
      '  build:',
      '    name: Build',
      '    runs-on: "${os}"',
      '    matrix: { os: [linux] }',
      '    steps: ["echo ${os} ${DEVQ_REPO} $${os}"]'
    ].join('\n'))
    const ref = `refs/heads/${'x'.repeat(300)}`
    const [job] = planPipeline(file, { ref, repo: 'r' }).jobs
    expect(job).toMatchObject({ id: 'build (os=linux)', name: 'Build (os=linux)', labels: ['linux'] })
    expect(job?.steps[0]?.run).toBe('echo linux r ${os}')
    expect(job?.group?.name.length).toBe(256)
    expect(job?.group?.name).toMatch(/^g-refs\/heads\/x+#[0-9a-f]{16}$/)
    const other = planPipeline(file, { ref: `${ref}y`, repo: 'r' }).jobs[0]
    expect(other?.group?.name).not.toBe(job?.group?.name)
  })

  it('applies plan-time defaults only where the file is silent', () => {
    const file = parsePipeline('jobs:\n  a:\n    steps: [x]\n  b:\n    timeout: 5m\n    retry: 0\n    steps: [{ run: y, timeout: 1h }]\n')
    const plan = planPipeline(file, { ref: 'r', repo: 'p', defaults: { timeoutMs: 1000, retry: { max: 5, when: ['timeout'] } } })
    expect(plan.jobs.map((j) => [j.timeoutMs, j.retry])).toEqual([
      [1000, { max: 5, when: ['timeout'] }],
      [300_000, { max: 0, when: ['runner_lost'] }]
    ])
    expect(plan.jobs[1]?.steps[0]?.timeoutMs).toBe(300_000)
  })
})
