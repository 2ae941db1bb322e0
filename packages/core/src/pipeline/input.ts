/**
 * The zod schema of `.devq.yml` exactly as written: shorthands allowed, keys as in the file. It is
 * purely structural (no transforms), so `z.toJSONSchema` turns it into the editor schema and that
 * schema accepts every form the parser accepts. `normalize.ts` turns a valid input into a
 * `PipelineFile`; `check.ts` does the checks that need more than one field.
 */
import { z } from 'zod'
import { Priority, RetryPolicy } from '../events/bodies.ts'
import { DURATION_PATTERN, durationMs } from './duration.ts'
import { PIPELINE_LIMITS as L } from './limits.ts'

/** Env var style names: matrix axes, env keys, secret names. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Job ids under `jobs:`; they start with a letter or `_` so no job id is an array index. */
export const JOB_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/
/** A runner label, possibly with `${VAR}` placeholders filled from the matrix. */
const LABEL_TEMPLATE = /^(?:[A-Za-z0-9_.:\-/=]|\$\{[A-Za-z_][A-Za-z0-9_]*\})+$/

const durationHint = 'expected a duration like 30m, 90s or 1h30m, or a number of seconds'
const maxSeconds = L.maxTimeoutMs / 1000

const DurationText = z.string({ error: durationHint })
  .regex(DURATION_PATTERN, durationHint)
  .min(2, durationHint)
  .refine((s) => { const ms = durationMs(s); return ms === undefined || (ms >= 1000 && ms <= L.maxTimeoutMs) }, 'a duration must be between 1s and 30d')
const DurationSeconds = z.number({ error: durationHint }).min(1, 'at least 1 second').max(maxSeconds, 'at most 30 days')
/** `30m`, `90s`, `1h30m` or a number of seconds. */
export const DurationInput = z.union([DurationText, DurationSeconds], { error: durationHint })
  .meta({ description: 'A duration such as 30m, 90s, 1h30m or 2d, or a number of seconds.' })

const EnvName = z.string().regex(ENV_NAME, 'expected an env var name like NODE_ENV')
const Scalar = z.union([z.string().max(4096), z.number(), z.boolean()], { error: 'expected a string, number or boolean' })
/** Env vars; values are scalars and become strings. `${VAR}` placeholders are filled at plan time. */
export const EnvInput = z.record(EnvName, Scalar).meta({ description: 'Environment variables; `${VAR}` placeholders are filled at plan time.' })

const Group = z.string().min(1).max(L.maxGroupChars)
/** `group` or `{group, cancel-in-progress}`. */
export const ConcurrencyInput = z.union([
  Group,
  z.strictObject({
    group: Group.meta({ description: 'Group name; may use ${DEVQ_REF}, ${DEVQ_REPO}, env and matrix variables.' }),
    'cancel-in-progress': z.boolean().optional().meta({ description: 'Cancel the running job of the group when a newer one is queued.' })
  })
], { error: 'expected a group name or {group, cancel-in-progress}' })

const Label = z.string().max(64).regex(LABEL_TEMPLATE, 'labels are [A-Za-z0-9_.:-/=], optionally with ${VAR}')
/** Matrix values end up in job ids, which logs and the UI print on one line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const OneLine = /^[^\u0000-\u001f\u007f]*$/
const MatrixValue = z.union([z.string().max(100).regex(OneLine, 'matrix values are one line of text'), z.number(), z.boolean()], { error: 'matrix values are strings, numbers or booleans' })
const MatrixEntry = z.record(EnvName, MatrixValue)
/** Axes (`os: [linux, macos]`) plus optional `include` / `exclude` lists of combinations. */
export const MatrixInput = z.object({
  include: z.array(MatrixEntry).max(L.maxMatrixCombinations).optional()
    .meta({ description: 'Extra combinations, added after the cross product.' }),
  exclude: z.array(MatrixEntry).max(L.maxMatrixCombinations).optional()
    .meta({ description: 'Combinations to drop; an entry drops every combination it matches on all its keys.' })
}).catchall(z.array(MatrixValue).min(1).max(L.maxAxisValues))
  .meta({ description: 'Each axis becomes an env var; the job runs once per combination.' })

const RetryObject = RetryPolicy.partial({ when: true })
/** `{max, when}` or a plain integer, short for `{max: N, when: [runner_lost]}`. */
export const RetryInput = z.union([RetryPolicy.shape.max, RetryObject], { error: 'expected a number of retries or {max, when}' })
  .meta({ description: 'Automatic retries: a number (runner_lost only) or {max, when: [runner_lost, source_failed, timeout, exit_code:N]}.' })

/** A step: `{name, run, env, timeout}`, or just the command to run. */
export const StepInput = z.union([
  z.string().min(1).max(L.maxRunChars),
  z.strictObject({
    name: z.string().min(1).max(200).optional(),
    run: z.string().min(1).max(L.maxRunChars).meta({ description: 'Shell script to run.' }),
    env: EnvInput.optional(),
    timeout: DurationInput.optional()
  })
], { error: 'expected a command or {name, run, env, timeout}' })

const ArtifactPath = z.string().min(1).max(1024)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !/^[A-Za-z]:/.test(p), 'artifact paths are relative, with / separators')
  .refine((p) => !p.split('/').includes('..'), 'artifact paths stay inside the workspace (no ..)')
const pathsOf = (min: number): z.ZodUnion<[typeof ArtifactPath, z.ZodArray<typeof ArtifactPath>]> =>
  z.union([ArtifactPath, z.array(ArtifactPath).min(min, 'expected at least one path').max(64)], { error: 'expected a path or a list of paths' })
/** An artifact to collect after the steps: globs relative to the workspace. */
export const ArtifactInput = z.strictObject({
  name: z.string().min(1).max(200),
  kind: z.enum(['binary', 'package', 'container']).optional().meta({ description: 'Default binary.' }),
  paths: pathsOf(1),
  exclude: pathsOf(0).optional()
})

const NeedsList = z.array(z.string().regex(JOB_ID, 'expected a job id')).max(L.maxJobs)

/** One entry under `jobs:`. */
export const JobInput = z.strictObject({
  name: z.string().min(1).max(L.maxJobIdChars).regex(OneLine, 'names are one line of text').optional().meta({ description: 'Display name; may use matrix variables.' }),
  'runs-on': z.union([Label, z.array(Label).max(32)], { error: 'expected a label or a list of labels' }).optional()
    .meta({ description: 'Runner labels, all required.' }),
  priority: z.enum(Priority.options, { error: `expected one of ${Priority.options.join(', ')}` }).optional()
    .meta({ description: 'Default normal.' }),
  timeout: DurationInput.optional().meta({ description: 'Job timeout; default 1h.' }),
  matrix: MatrixInput.optional(),
  needs: z.union([z.string().regex(JOB_ID, 'expected a job id'), NeedsList], { error: 'expected a job id or a list of job ids' }).optional(),
  retry: RetryInput.optional(),
  cache: z.boolean().optional().meta({ description: 'Reuse an earlier identical result; default true.' }),
  sensitive: z.boolean().optional().meta({ description: 'Run only on trusted peers; implied by secrets.' }),
  secrets: z.array(EnvName).max(64).optional().meta({ description: 'Names of secrets the origin passes as env vars.' }),
  workspace: z.enum(['clean', 'incremental'], { error: 'expected clean or incremental' }).optional()
    .meta({ description: 'Default clean.' }),
  network: z.boolean().optional().meta({ description: 'Whether steps may use the network; default true. false runs only on peers that can sandbox (no network at all).' }),
  env: EnvInput.optional(),
  concurrency: ConcurrencyInput.optional(),
  steps: z.array(StepInput).min(1, 'a job needs at least one step').max(L.maxSteps),
  artifacts: z.array(ArtifactInput).max(64).optional()
})

/** The whole `.devq.yml`. */
export const PipelineInput = z.strictObject({
  version: z.literal(1, { error: 'expected version: 1' }).optional(),
  env: EnvInput.optional(),
  concurrency: ConcurrencyInput.optional(),
  jobs: z.record(z.string().regex(JOB_ID, 'job ids are letters, digits, _ and -, starting with a letter or _'), JobInput)
    .refine((jobs) => Object.keys(jobs).length > 0, 'expected at least one job')
    .refine((jobs) => Object.keys(jobs).length <= L.maxJobs, `at most ${L.maxJobs} jobs`)
}).meta({ title: 'DevQ pipeline (.devq.yml)', description: 'Jobs that DevQ runs for each commit.' })

/** A `.devq.yml` as written (after YAML decoding), shorthands included. */
export type PipelineInput = z.output<typeof PipelineInput>
/** One job as written. */
export type JobInput = z.output<typeof JobInput>
/** One step as written. */
export type StepInput = z.output<typeof StepInput>
