/**
 * The shape of every `devq ... --json` output: one zod schema per command. The CLI prints exactly
 * what the schema keeps (it parses and strips before printing), the read views of the control API
 * answer in these shapes, and `doc/cli-json.schema.json` is generated from them
 * (`npm run schema:cli`; a test fails when the file is stale).
 */
import { z } from 'zod'
import { jobStatuses, Priority, ShareMode, type JobStatus } from '@devq/core'
import { RunAnswer } from './api-responses.ts'
import { toolOutputs } from './cli-schemas-tools.ts'

const Status = z.enum(jobStatuses as [JobStatus, ...JobStatus[]])
const Ms = z.number().int().min(0)
/** Wall ms since the epoch; other peers' clocks, for display only. */
const WallMs = z.number().int()
const Count = z.number().int().min(0)

/** A peer as `devq status` lists it; an offline peer may lack what only its heartbeat says. */
export const PeerRow = z.object({
  id: z.string(),
  self: z.boolean(),
  state: z.enum(['idle', 'busy', 'draining', 'offline']),
  role: z.enum(['member', 'trusted', 'admin']).optional().describe('its role in the team\'s member list, when it has one'),
  slots: z.object({ used: Count, total: Count }).optional(),
  load: z.number().min(0).optional().describe('1-minute load average divided by cores'),
  labels: z.array(z.string()).optional(),
  shareMode: ShareMode.optional(),
  version: z.string().optional(),
  jobs: z.array(z.string()).describe('jobs the ledger has awarded to it that have not ended'),
  heardMsAgo: Ms.optional().describe('ms since this peer last heard its heartbeat; absent for this peer and for peers never heard')
})

/** One queued job; `startsInMs` is null when the estimate is unknown (method in queue-estimate.ts). */
export const QueueRow = z.object({
  position: z.number().int().min(1),
  id: z.string(),
  repo: z.string(),
  pipelineJob: z.string(),
  priority: Priority,
  attempt: z.number().int().min(1),
  waitMs: Ms.describe('ms since it was queued (announced, or retried)'),
  typicalMs: Ms.nullable().describe('median run time of recent attempts of its kind; null when unknown'),
  startsInMs: Ms.nullable().describe('estimated ms until it starts (see the README); null when unknown')
})

/** `devq status --json`. */
export const StatusOutput = z.object({
  peer: PeerRow,
  team: z.object({ name: z.string(), mode: z.enum(['open', 'strict']) }),
  peers: z.array(PeerRow).describe('every other peer: the live ones, then those the ledger knows that were not heard within the lease'),
  queue: z.array(QueueRow),
  waiting: Count.describe('jobs waiting for jobs they need (not in the queue yet)'),
  counts: z.record(z.string(), Count)
})

/** One job as `devq jobs` lists it. */
export const JobLine = z.object({
  id: z.string(),
  repo: z.string(),
  repoName: z.string().optional().describe('the repository\'s directory name, when this peer knows where it lives'),
  ref: z.string(),
  commit: z.string(),
  run: z.string().optional(),
  pipelineJob: z.string(),
  status: Status,
  attempt: z.number().int().min(1),
  runner: z.string().optional().describe('runner of the current attempt, once awarded'),
  origin: z.string(),
  mine: z.boolean().describe('announced by this peer'),
  flaky: z.boolean().describe('it succeeded on an attempt after an earlier attempt of it failed (lost or cancelled attempts do not count)'),
  announcedAt: WallMs,
  startedAt: WallMs.optional(),
  finishedAt: WallMs.optional(),
  durationMs: Ms.optional().describe('of the current attempt: started to finished, or to now while it runs')
})

/** `devq jobs --json` (with `--watch`, one JobLine per line for each change instead). */
export const JobsOutput = z.object({ jobs: z.array(JobLine) })

const JobCounts = z.object({ total: Count, succeeded: Count, failed: Count, cancelled: Count, skipped: Count, active: Count })

/** One run (one commit's pipeline) as `devq runs` lists it. */
export const RunLine = z.object({
  run: z.string(),
  repo: z.string(),
  repoName: z.string().optional(),
  ref: z.string(),
  commit: z.string(),
  subject: z.string().optional().describe('the commit\'s subject line, when this peer holds the commit'),
  author: z.string().optional().describe('the commit\'s author name (not the e-mail address), when this peer holds the commit'),
  status: z.enum(['waiting', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'superseded']),
  jobs: JobCounts,
  origin: z.string(),
  announcedAt: WallMs
})

/** `devq runs --json`. */
export const RunsOutput = z.object({ runs: z.array(RunLine) })

export const AttemptRow = z.object({
  n: z.number().int().min(1),
  runner: z.string(),
  awardedBy: z.string(),
  awardedAt: WallMs,
  startedAt: WallMs.optional(),
  finishedAt: WallMs.optional(),
  durationMs: Ms.optional(),
  outcome: z.enum(['succeeded', 'failed', 'cancelled', 'lost']).optional(),
  failure: z.string().optional(),
  exitCode: z.number().int().nullable().optional(),
  reason: z.string().optional()
})

export const ArtifactRow = z.object({ name: z.string(), kind: z.enum(['binary', 'package', 'container']), file: z.string().optional(), size: Count, digest: z.string() })

/** Where a job's result comes from and what went into it. */
export const Provenance = z.object({
  origin: z.string(),
  repo: z.string(),
  ref: z.string(),
  commit: z.string(),
  tree: z.string().optional(),
  run: z.string().optional(),
  runner: z.string().optional().describe('the runner whose signed finish is the result (of the build reused, for a cached one)'),
  cacheKey: z.string().optional(),
  cachedFrom: z.string().optional(),
  logDigest: z.string().nullable().optional(),
  inputs: z.object({
    pipelineJob: z.string(),
    labels: z.array(z.string()),
    priority: Priority,
    timeoutMs: Ms,
    retry: z.object({ max: Count, when: z.array(z.string()) }),
    sensitive: z.boolean(),
    workspace: z.enum(['clean', 'incremental']).optional(),
    synthetic: z.object({ durationMs: Ms, exitCode: Count, outputBytes: Count }).optional(),
    envKeys: z.array(z.string()).optional().describe('names of the job\'s env variables in the commit\'s .devq.yml, when this peer holds the commit'),
    secrets: z.array(z.string()).optional().describe('names (never values) of the secrets it is given, likewise')
  })
})

const NeedRow = z.object({ pipelineJob: z.string(), job: z.string().optional(), status: Status.optional() })

/** `devq show <job> --json`. */
export const ShowJobOutput = z.object({
  kind: z.literal('job'),
  job: JobLine.extend({ cancelReason: z.string().optional(), skippedBecause: z.string().optional(), supersededBy: z.string().optional() }),
  needs: z.array(NeedRow),
  attempts: z.array(AttemptRow),
  artifacts: z.array(ArtifactRow),
  provenance: Provenance
})

/** `devq show <run> --json`. */
export const ShowRunOutput = z.object({
  kind: z.literal('run'),
  run: RunLine,
  jobs: z.array(JobLine.extend({ needs: z.array(NeedRow) }))
})

export const ShowOutput = z.discriminatedUnion('kind', [ShowJobOutput, ShowRunOutput])

/** `devq retry|cancel|priority --json`: what was asked of each job, and the jobs left alone with why. */
export const ActionOutput = z.object({
  action: z.enum(['retry', 'cancel', 'priority']),
  target: z.object({ kind: z.enum(['job', 'run']), id: z.string() }),
  jobs: z.array(z.object({ id: z.string(), pipelineJob: z.string(), status: Status, priority: Priority })),
  untouched: z.array(z.object({ id: z.string(), pipelineJob: z.string(), status: Status, why: z.string() }))
})

/** `devq pull --json`. */
export const PullOutput = z.object({
  files: z.array(z.object({ name: z.string(), kind: z.string().optional(), digest: z.string(), size: Count, path: z.string() }))
})

/** `devq run --json`: the run the node announced, or found it had announced before (`existing`). */
const RunOutput = RunAnswer.describe('devq run')
/** `devq submit --synthetic --json`: the ids of the jobs announced. */
const SubmitOutput = z.strictObject({ ids: z.array(z.string().regex(/^[0-9a-f]{64}$/)) }).describe('devq submit')
/** `devq secret list --json`: the names of the stored secrets, never their values. */
const SecretListOutput = z.strictObject({ names: z.array(z.string()) }).describe('devq secret list')

/** Every command's `--json` shape, by the name it has in doc/cli-json.schema.json. */
export const cliOutputs = {
  status: StatusOutput,
  jobs: JobsOutput,
  jobsWatch: JobLine,
  runs: RunsOutput,
  show: ShowOutput,
  action: ActionOutput,
  pull: PullOutput,
  run: RunOutput,
  submit: SubmitOutput,
  secretList: SecretListOutput,
  ...toolOutputs
} as const

/** The JSON Schema (draft 2020-12) of every `--json` output, as committed in doc/cli-json.schema.json. */
export function renderCliJsonSchema (): string {
  const defs: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(cliOutputs)) {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'throw' }) as Record<string, unknown>
    defs[name] = rest
  }
  const doc = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'devq --json outputs',
    description: 'One definition per command: status, jobs, jobsWatch (jobs --watch --json prints one per line and change), runs, show, action (retry, cancel, priority), pull, run, submit, secretList (secret list); ' +
      'share, hookInstall, hookUninstall, configList, configGet, configSet, configUnset, doctor, provenance, verify, teamInit, teamToken, teamJoin, teamList, teamMembers (team add, team remove), init, open. ' +
      'Generated from packages/node/src/cli-schemas.ts and cli-schemas-tools.ts.',
    $defs: defs
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}

export type StatusOutput = z.infer<typeof StatusOutput>
export type PeerRow = z.infer<typeof PeerRow>
export type QueueRow = z.infer<typeof QueueRow>
export type JobLine = z.infer<typeof JobLine>
export type RunLine = z.infer<typeof RunLine>
export type AttemptRow = z.infer<typeof AttemptRow>
export type ShowJobOutput = z.infer<typeof ShowJobOutput>
export type ShowRunOutput = z.infer<typeof ShowRunOutput>
export type ShowOutput = z.infer<typeof ShowOutput>
export type ActionOutput = z.infer<typeof ActionOutput>
export type Provenance = z.infer<typeof Provenance>
