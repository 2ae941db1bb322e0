/**
 * fast-check arbitraries for valid pipelines in normalized form, and an encoder that writes one
 * back as `.devq.yml` input, picking shorthands at random, so a round trip exercises every form.
 */
import fc from 'fast-check'
import { LOADER_ENV, type ArtifactSpec, type JobSpec, type MatrixSpec, type PipelineFile, type StepSpec } from '../../src/index.ts'
import { expandMatrix } from '../../src/pipeline/matrix.ts'

const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/).filter((n) => !n.startsWith('DEVQ_') && !LOADER_ENV.test(n))
/** Text that sometimes refers to variables, so planning and the size budget see placeholders. */
const text = (minLength: number): fc.Arbitrary<string> => fc.oneof(
  fc.string({ minLength, maxLength: 20 }),
  fc.constantFrom('${DEVQ_REF}/${DEVQ_REPO}', '${A}${A}-${B}', '$${A} ${HOME}', 'echo ${x} ${A}')
)
const envRecord = fc.dictionary(fc.oneof(envName, fc.constantFrom('A', 'B')), text(0), { maxKeys: 3 })
const seconds = fc.integer({ min: 1, max: 30 * 24 * 3600 }).map((s) => s * 1000)
const retryWhen = fc.constantFrom('runner_lost', 'source_failed', 'timeout', 'exit_code:1', 'exit_code:137')

const step: fc.Arbitrary<StepSpec> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 20 }),
  run: text(1),
  env: envRecord,
  timeoutMs: seconds
}, { requiredKeys: ['run', 'env'] })

const artifact: fc.Arbitrary<ArtifactSpec> = fc.record({
  name: fc.stringMatching(/^[a-z0-9.-]{1,8}$/),
  kind: fc.constantFrom('binary', 'package', 'container'),
  paths: fc.uniqueArray(fc.stringMatching(/^[a-z0-9*]{1,6}(\/[a-z0-9*.]{1,6})?$/).filter((p) => !p.split('/').includes('..')), { minLength: 1, maxLength: 2 }),
  exclude: fc.uniqueArray(fc.stringMatching(/^[a-z0-9*]{1,6}$/), { maxLength: 2 })
})

/** Picks per axis: 0 leaves the axis out of an include/exclude entry, n > 0 picks value n - 1 (mod count). */
const entry = fc.array(fc.nat(3), { minLength: 3, maxLength: 3 })

/** Built by `map` rather than `chain`: dependent arbitraries made generation seconds slower. */
const matrix: fc.Arbitrary<MatrixSpec> = fc.record({
  names: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,4}$/), { minLength: 1, maxLength: 3 })
    .filter((axes) => !axes.includes('include') && !axes.includes('exclude')),
  values: fc.array(fc.uniqueArray(fc.stringMatching(/^[a-z0-9.]{1,5}$/), { minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 3 }),
  include: fc.array(entry, { maxLength: 2 }),
  exclude: fc.array(entry, { maxLength: 2 })
}).map(({ names, values, include, exclude }) => {
  const axes = Object.fromEntries(names.map((n, i) => [n, values[i] ?? []]))
  const combo = (picks: number[]): Record<string, string> => {
    const out: Record<string, string> = {}
    names.forEach((n, i) => {
      const pick = picks[i] ?? 0
      const vs = axes[n] ?? []
      if (pick > 0 || (i === 0 && picks.every((p) => p === 0))) out[n] = vs[Math.max(pick - 1, 0) % vs.length] ?? ''
    })
    return out
  }
  return { axes, include: include.map(combo), exclude: exclude.map(combo) }
}).filter((m) => expandMatrix(m).length > 0)

const job: fc.Arbitrary<JobSpec> = fc.record({
    name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('${')),
    runsOn: fc.uniqueArray(fc.stringMatching(/^[a-z0-9:.=/-]{1,10}$/), { maxLength: 3 }),
    priority: fc.constantFrom('critical', 'high', 'normal', 'low'),
    timeoutMs: seconds,
    matrix,
    needs: fc.constant<string[]>([]),
    retry: fc.record({ max: fc.integer({ min: 0, max: 20 }), when: fc.uniqueArray(retryWhen, { maxLength: 4 }) }),
    cache: fc.boolean(),
    sensitive: fc.boolean(),
    secrets: fc.uniqueArray(envName, { maxLength: 2 }),
    workspace: fc.constantFrom('clean', 'incremental'),
    network: fc.boolean(),
    env: envRecord,
    steps: fc.array(step, { minLength: 1, maxLength: 3 }),
    artifacts: fc.uniqueArray(artifact, { maxLength: 2, selector: (a) => a.name })
}, { requiredKeys: ['runsOn', 'priority', 'needs', 'cache', 'sensitive', 'secrets', 'workspace', 'network', 'env', 'steps', 'artifacts'] })
  .map((j) => ({ ...j, sensitive: j.sensitive || j.secrets.length > 0 }))

const concurrency = fc.record({ group: fc.stringMatching(/^[a-z0-9-]{1,10}(\$\{DEVQ_REF\})?$/), cancelInProgress: fc.boolean() })

/**
 * A valid `PipelineFile` with up to four jobs. Job `i` needs a subset of jobs `0..i-1` (bit mask
 * `needs[i]`), so there are no cycles.
 */
export const pipelineFile: fc.Arbitrary<PipelineFile> = fc.record({
  ids: fc.uniqueArray(fc.stringMatching(/^[a-z_][a-z0-9_-]{0,8}$/), { minLength: 1, maxLength: 4 }),
  jobs: fc.array(job, { minLength: 4, maxLength: 4 }),
  needs: fc.array(fc.nat(15), { minLength: 4, maxLength: 4 }),
  env: envRecord,
  concurrency: fc.option(concurrency, { nil: undefined })
}).map(({ ids, jobs, needs, env, concurrency }) => {
  const file: PipelineFile = { file: '.devq.yml', version: 1, env, jobs: {} }
  if (concurrency !== undefined) file.concurrency = concurrency
  ids.forEach((id, i) => {
    const mask = needs[i] ?? 0
    file.jobs[id] = { ...jobs[i]!, needs: ids.slice(0, i).filter((_, j) => (mask & (1 << j)) !== 0) }
  })
  return file
})

/** Writes `file` back as `.devq.yml` input; `coin` decides each optional shorthand. */
export function encodePipeline (file: PipelineFile, coin: () => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (coin()) out.version = 1
  if (Object.keys(file.env).length > 0 || coin()) out.env = encodeEnv(file.env, coin)
  if (file.concurrency !== undefined) {
    const c = file.concurrency
    out.concurrency = !c.cancelInProgress && coin() ? c.group : { group: c.group, ...(c.cancelInProgress || coin() ? { 'cancel-in-progress': c.cancelInProgress } : {}) }
  }
  out.jobs = Object.fromEntries(Object.entries(file.jobs).map(([id, j]) => [id, encodeJob(j, coin)]))
  return out
}

function encodeJob (j: JobSpec, coin: () => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (j.name !== undefined) out.name = j.name
  if (j.runsOn.length > 0 || coin()) out['runs-on'] = j.runsOn.length === 1 && coin() ? j.runsOn[0] : j.runsOn
  if (j.priority !== 'normal' || coin()) out.priority = j.priority
  if (j.timeoutMs !== undefined) out.timeout = duration(j.timeoutMs, coin)
  if (j.matrix !== undefined) out.matrix = encodeMatrix(j.matrix, coin)
  if (j.needs.length > 0 || coin()) out.needs = j.needs.length === 1 && coin() ? j.needs[0] : j.needs
  if (j.retry !== undefined) {
    const plain = j.retry.when.length === 1 && j.retry.when[0] === 'runner_lost'
    out.retry = plain && coin() ? j.retry.max : plain && coin() ? { max: j.retry.max } : j.retry
  }
  if (!j.cache || coin()) out.cache = j.cache
  if (j.sensitive !== j.secrets.length > 0 || coin()) out.sensitive = j.sensitive
  if (j.secrets.length > 0 || coin()) out.secrets = j.secrets
  if (j.workspace !== 'clean' || coin()) out.workspace = j.workspace
  if (!j.network || coin()) out.network = j.network
  if (Object.keys(j.env).length > 0 || coin()) out.env = encodeEnv(j.env, coin)
  if (j.concurrency !== undefined) out.concurrency = { group: j.concurrency.group, 'cancel-in-progress': j.concurrency.cancelInProgress }
  out.steps = j.steps.map((s) => encodeStep(s, coin))
  if (j.artifacts.length > 0 || coin()) {
    out.artifacts = j.artifacts.map((a) => ({
      name: a.name,
      ...(a.kind !== 'binary' || coin() ? { kind: a.kind } : {}),
      paths: a.paths.length === 1 && coin() ? a.paths[0] : a.paths,
      ...(a.exclude.length > 0 || coin() ? { exclude: a.exclude.length === 1 && coin() ? a.exclude[0] : a.exclude } : {})
    }))
  }
  return out
}

function encodeStep (s: StepSpec, coin: () => boolean): unknown {
  const empty = Object.keys(s.env).length === 0
  if (s.name === undefined && s.timeoutMs === undefined && empty && coin()) return s.run
  return {
    ...(s.name !== undefined ? { name: s.name } : {}),
    run: s.run,
    ...(!empty || coin() ? { env: encodeEnv(s.env, coin) } : {}),
    ...(s.timeoutMs !== undefined ? { timeout: duration(s.timeoutMs, coin) } : {})
  }
}

function encodeMatrix (m: MatrixSpec, coin: () => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [axis, values] of Object.entries(m.axes)) out[axis] = values.map((v) => scalar(v, coin))
  if (m.include.length > 0 || coin()) out.include = m.include
  if (m.exclude.length > 0 || coin()) out.exclude = m.exclude
  return out
}

function encodeEnv (env: Record<string, string>, coin: () => boolean): Record<string, unknown> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, scalar(v, coin)]))
}

/** Numbers and booleans that print as the same text may be written unquoted. */
function scalar (v: string, coin: () => boolean): unknown {
  if ((v === 'true' || v === 'false') && coin()) return v === 'true'
  if (v !== '' && String(Number(v)) === v && coin()) return Number(v)
  return v
}

/** A timeout as seconds or as `1d2h3m4s` text, leaving out zero units. */
function duration (ms: number, coin: () => boolean): string | number {
  const s = ms / 1000
  if (coin()) return s
  const units: [number, string][] = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']]
  let rest = s
  let text = ''
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size)
    rest -= n * size
    if (n > 0) text += `${n}${unit}`
  }
  return text
}
