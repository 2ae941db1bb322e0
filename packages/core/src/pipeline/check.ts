/**
 * Checks that need more than one field of a schema-valid pipeline: needs that exist and do not
 * loop, matrix sizes and ids, and placeholders that must resolve. Paths use the file's own keys.
 */
import { JobAnnounced } from '../events/bodies.ts'
import { globalEnvLengths, jobPlanSize } from './budget.ts'
import type { PipelineProblem } from './issues.ts'
import { BUILTIN_VARIABLES, interpolate, placeholders } from './interpolate.ts'
import { PIPELINE_LIMITS as L } from './limits.ts'
import { concreteJobId, countCombinations, expandMatrix, type Combination } from './matrix.ts'
import type { KeyPath } from './source.ts'
import type { JobSpec, PipelineFile } from './types.ts'

/** The ledger's own label schema, so a pipeline never asks for a label an announce cannot carry. */
const LedgerLabel = JobAnnounced.shape.labels.element
const RESERVED = /^DEVQ_/

/** Every cross-field problem in `file`, in no particular order. Pure. */
export function checkPipelineFile (file: PipelineFile): PipelineProblem[] {
  const out: PipelineProblem[] = []
  reserved(out, ['env'], Object.keys(file.env))
  if (file.concurrency !== undefined) {
    known(out, ['concurrency', 'group'], file.concurrency.group, new Set([...BUILTIN_VARIABLES, ...Object.keys(file.env)]))
  }
  let planned = 0
  let size = 0
  const global = globalEnvLengths(file)
  for (const [id, job] of Object.entries(file.jobs)) {
    const combos = checkMatrix(out, id, job)
    planned += combos?.length ?? 1
    checkJob(out, file, id, job, combos)
    if (planned <= L.maxPlannedJobs && size <= L.maxPlanSize) {
      size += jobPlanSize(job, global, combos ?? [{}], L.maxPlanSize - size)
      if (size > L.maxPlanSize) out.push({ path: ['jobs', id], detail: `the plan grows past ${L.maxPlanSize / 1024 / 1024} MiB here (matrix x steps x env, or long \${VAR} values repeated)`, onKey: true })
    }
  }
  if (planned > L.maxPlannedJobs) out.push({ path: ['jobs'], detail: `expands to ${planned} jobs; at most ${L.maxPlannedJobs}` })
  checkNeeds(out, file)
  return out
}

/** Matrix checks; returns the combinations when they are usable for further checks. */
function checkMatrix (out: PipelineProblem[], id: string, job: JobSpec): Combination[] | undefined {
  const m = job.matrix
  if (m === undefined) return undefined
  const at = ['jobs', id, 'matrix']
  const axes = Object.keys(m.axes)
  reserved(out, at, axes)
  for (const axis of axes) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(axis)) out.push({ path: [...at, axis], detail: 'axis names are env var names like os or NODE', onKey: true })
    const values = m.axes[axis] ?? []
    const dup = values.find((v, i) => values.indexOf(v) !== i)
    if (dup !== undefined) out.push({ path: [...at, axis], detail: `duplicate value "${dup}"` })
  }
  m.include.forEach((entry, i) => reserved(out, [...at, 'include', i], Object.keys(entry)))
  m.exclude.forEach((entry, i) => {
    for (const key of Object.keys(entry)) {
      if (!axes.includes(key)) out.push({ path: [...at, 'exclude', i, key], detail: `"${key}" is not an axis of this matrix`, onKey: true })
    }
  })
  const count = countCombinations(m, L.maxMatrixCombinations)
  if (count > L.maxMatrixCombinations) {
    const sizes = Object.values(m.axes).map((v) => v.length)
    const product = sizes.reduce((a, b) => a * b, 1)
    const how = product > L.maxMatrixCombinations
      ? `${product} combinations (${Object.keys(m.axes).map((a, i) => `${a}: ${sizes[i]}`).join(' x ')}${m.exclude.length > 0 ? ', before exclude' : ''})`
      : `more than ${L.maxMatrixCombinations} combinations with include`
    out.push({ path: at, detail: `the matrix has ${how}; at most ${L.maxMatrixCombinations} are allowed` })
    return undefined
  }
  if (count === 0) {
    out.push({ path: at, detail: 'the matrix has no combinations' })
    return undefined
  }
  return expandMatrix(m)
}

function checkJob (out: PipelineProblem[], file: PipelineFile, id: string, job: JobSpec, combos: Combination[] | undefined): void {
  const at = ['jobs', id]
  const matrixVars = everyComboHas(job, combos)
  const jobVars = new Set([...BUILTIN_VARIABLES, ...Object.keys(file.env), ...Object.keys(job.env), ...matrixVars])
  reserved(out, [...at, 'env'], Object.keys(job.env))
  job.secrets.forEach((name, i) => { if (RESERVED.test(name)) out.push({ path: [...at, 'secrets', i], detail: `${name}: the DEVQ_ prefix is reserved` }) })
  if (job.secrets.length > 0 && !job.sensitive) {
    out.push({ path: [...at, 'sensitive'], detail: 'a job with secrets runs only on trusted peers; remove sensitive: false' })
  }
  if (job.name !== undefined) known(out, [...at, 'name'], job.name, matrixVars)
  if (job.concurrency !== undefined) known(out, [...at, 'concurrency', 'group'], job.concurrency.group, jobVars)
  job.steps.forEach((s, i) => reserved(out, [...at, 'steps', i, 'env'], Object.keys(s.env)))
  const names = new Set<string>()
  job.artifacts.forEach((a, i) => {
    if (names.has(a.name)) out.push({ path: [...at, 'artifacts', i, 'name'], detail: `duplicate artifact name "${a.name}"` })
    names.add(a.name)
    known(out, [...at, 'artifacts', i, 'name'], a.name, jobVars)
    a.paths.forEach((p, j) => known(out, [...at, 'artifacts', i, 'paths', j], p, jobVars))
    a.exclude.forEach((p, j) => known(out, [...at, 'artifacts', i, 'exclude', j], p, jobVars))
  })
  checkConcrete(out, id, job, combos)
}

/** Concrete ids must be unique and fit the ledger; labels must be valid once the matrix fills them. */
function checkConcrete (out: PipelineProblem[], id: string, job: JobSpec, combos: Combination[] | undefined): void {
  const ids = new Set<string>()
  for (const combo of combos ?? [undefined]) {
    const concrete = concreteJobId(id, combo)
    if (concrete.length > L.maxJobIdChars) {
      out.push({ path: ['jobs', id, 'matrix'], detail: `job id "${concrete.slice(0, 40)}..." is longer than ${L.maxJobIdChars} characters` })
      return
    }
    if (ids.has(concrete)) {
      out.push({ path: ['jobs', id, 'matrix'], detail: `two combinations share the id "${concrete}"` })
      return
    }
    ids.add(concrete)
    for (const [i, template] of job.runsOn.entries()) {
      const label = interpolate(template, combo ?? {})
      const unset = placeholders(label)[0]
      const detail = unset !== undefined
        ? `unknown variable \${${unset}} for ${concrete} (labels may use matrix variables only)`
        : LedgerLabel.safeParse(label).success ? undefined : `label "${label}" is not valid (labels are [A-Za-z0-9_.:-/=], 1 to 64 characters)`
      if (detail !== undefined) {
        out.push({ path: ['jobs', id, 'runs-on', i], detail })
        return
      }
    }
  }
}

/** Needs must name existing jobs and must not form a cycle. */
function checkNeeds (out: PipelineProblem[], file: PipelineFile): void {
  const jobs = file.jobs
  for (const [id, job] of Object.entries(jobs)) {
    job.needs.forEach((need, i) => {
      if (!Object.hasOwn(jobs, need)) out.push({ path: ['jobs', id, 'needs', i], detail: `unknown job "${need}"` })
    })
  }
  const state = new Map<string, 'open' | 'done'>()
  const trail: string[] = []
  const visit = (id: string): boolean => {
    if (state.get(id) === 'done') return false
    state.set(id, 'open')
    trail.push(id)
    const needs = jobs[id]?.needs ?? []
    for (const [i, need] of needs.entries()) {
      if (!Object.hasOwn(jobs, need)) continue
      if (state.get(need) === 'open') {
        const cycle = [...trail.slice(trail.indexOf(need)), need].join(' -> ')
        out.push({ path: ['jobs', id, 'needs', i], detail: `needs form a cycle: ${cycle}` })
        return true
      }
      if (visit(need)) return true
    }
    trail.pop()
    state.set(id, 'done')
    return false
  }
  // One cycle is enough to report; the rest would repeat it from other starting points.
  for (const id of Object.keys(jobs)) if (visit(id)) return
}

/**
 * Variables the dynamic loader or bash act on before a step's own script runs, i.e. in the runner's
 * process outside the sandbox: a step may set them in its script, not as pipeline env.
 */
export const LOADER_ENV = /^(LD_[A-Z_]*|GCONV_PATH|BASH_ENV|ENV|SHELLOPTS|BASHOPTS|PS4|BASH_FUNC_.*|IFS)$/

function reserved (out: PipelineProblem[], at: KeyPath, names: readonly string[]): void {
  for (const name of names) {
    if (RESERVED.test(name)) out.push({ path: [...at, name], detail: `${name}: the DEVQ_ prefix is reserved`, onKey: true })
    else if (LOADER_ENV.test(name)) out.push({ path: [...at, name], detail: `${name} cannot be set as pipeline env (it acts before the step runs); export it inside the step's script instead`, onKey: true })
  }
}

/**
 * Matrix variables every combination sets. A key only some `include` entries add would leave a
 * literal `${key}` in the other combinations' names and paths. An unusable matrix falls back to
 * its axes so one mistake does not also flag every placeholder.
 */
function everyComboHas (job: JobSpec, combos: Combination[] | undefined): Set<string> {
  if (job.matrix === undefined) return new Set()
  if (combos === undefined) return new Set(Object.keys(job.matrix.axes))
  const [first, ...rest] = combos
  return new Set(Object.keys(first ?? {}).filter((k) => rest.every((c) => Object.hasOwn(c, k))))
}

/** Placeholders in `template` must all be in `vars`; these fields have no shell to fall back on. */
function known (out: PipelineProblem[], at: KeyPath, template: string, vars: ReadonlySet<string>): void {
  for (const name of placeholders(template)) {
    if (!vars.has(name)) {
      const list = [...vars]
      const more = list.length > 12 ? ', ...' : ''
      const hint = list.length === 0 ? 'no variables are available here' : `available: ${list.slice(0, 12).join(', ')}${more}`
      out.push({ path: at, detail: `unknown variable \${${name}} (${hint})` })
      return
    }
  }
}
