/**
 * DevQ builds itself from the `.devq.yml` at the repository root: that file must stay valid, plan
 * to lint, test and an npm package in that order, and collect the tarball `npm pack` writes.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { formatIssue, planPipeline, validatePipeline, type PlannedJob } from '../../src/index.ts'
import { schemaValidator } from './helpers.ts'

const text = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', '.devq.yml'), 'utf8')

function plannedJobs (): PlannedJob[] {
  const result = validatePipeline(text, { file: '.devq.yml' })
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'))
  return planPipeline(result.value, { ref: 'refs/heads/main', repo: 'ab'.repeat(32) }).jobs
}

function byId (jobs: readonly PlannedJob[], id: string): PlannedJob {
  const job = jobs.find((j) => j.id === id)
  if (job === undefined) throw new Error(`the repository's .devq.yml has no job ${id}; it has ${jobs.map((j) => j.id).join(', ')}`)
  return job
}

describe('the repository\'s own .devq.yml', () => {
  it('is valid for the parser and for the committed editor schema', () => {
    expect(validatePipeline(text, { file: '.devq.yml' })).toMatchObject({ ok: true })
    expect(schemaValidator()(parse(text))).toBe(true)
  })

  it('plans lint, then test, then the npm package, each needing the one before', () => {
    const jobs = plannedJobs()
    const [lint, test, pkg] = ['lint', 'test', 'package'].map((id) => byId(jobs, id))
    expect(lint!.needs).toEqual([])
    expect(test!.needs).toEqual(['lint'])
    expect(pkg!.needs).toEqual(['test'])
    expect(lint!.steps.some((s) => /\bnpm run lint\b/.test(s.run))).toBe(true)
    expect(test!.steps.some((s) => /\bnpm run test:unit\b/.test(s.run))).toBe(true)
    // The plan lists every job after those it needs, so announcing in plan order never waits on a later one.
    const position = new Map(jobs.map((j, i) => [j.id, i]))
    for (const job of jobs) for (const need of job.needs) expect(position.get(need)).toBeLessThan(position.get(job.id)!)
  })

  it('collects the package job\'s npm tarball as a package artifact from where npm pack writes it', () => {
    const pkg = byId(plannedJobs(), 'package')
    const tarballs = pkg.artifacts.filter((a) => a.kind === 'package')
    expect(tarballs).toHaveLength(1)
    const pack = pkg.steps.map((s) => /\bnpm pack\b.*--pack-destination[= ](\S+)/.exec(s.run)).find((m) => m !== null)
    expect(pack, 'a step runs npm pack --pack-destination <dir>').toBeDefined()
    const dir = pack![1]!.replace(/\/$/, '')
    expect(tarballs[0]!.paths.length).toBeGreaterThan(0)
    for (const path of tarballs[0]!.paths) expect(path).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[^/]*\\.tgz$`))
  })
})
