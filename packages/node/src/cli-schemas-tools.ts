/**
 * The `--json` shapes of the setup and checking commands (hook, config, doctor, provenance,
 * verify, team, init), beside those of the read views in cli-schemas.ts, which lists both in
 * doc/cli-json.schema.json. As there, the CLI prints exactly what a schema keeps.
 */
import { z } from 'zod'
import { IN_TOTO_STATEMENT_V1, ShareMode, SLSA_PROVENANCE_V1 } from '@devq/core'
import { CLONE_HOOKS, SERVER_HOOKS } from './hooks/script.ts'

const TeamMode = z.enum(['open', 'strict'])
const Role = z.enum(['member', 'trusted', 'admin'])
const HookName = z.enum([...CLONE_HOOKS, ...SERVER_HOOKS])

const HookSite = {
  repo: z.string().describe('the work tree\'s top, or the git dir of a bare repository'),
  bare: z.boolean(),
  hooksDir: z.string().describe('absolute')
}
const HookAdvice = z.object({ file: z.string().describe('relative to the repository\'s top'), text: z.string() })

/** `devq hook install --json`: the hooks written, or (a hook manager owns them) only advice. */
export const HookInstallOutput = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('installed'),
    ...HookSite,
    hooks: z.array(z.object({ hook: HookName, path: z.string(), change: z.enum(['created', 'added', 'updated', 'unchanged']) })),
    warnings: z.array(z.string())
  }),
  z.object({
    action: z.literal('advice'),
    ...HookSite,
    manager: z.enum(['husky', 'lefthook']),
    tracked: z.array(z.string()).describe('the manager\'s tracked files that show it owns the hooks'),
    advice: z.array(HookAdvice)
  })
])

/** `devq hook uninstall --json`. */
export const HookUninstallOutput = z.object({
  action: z.literal('uninstalled'),
  ...HookSite,
  hooks: z.array(z.object({
    hook: HookName,
    path: z.string(),
    change: z.enum(['removed', 'deleted', 'absent']),
    kept: z.array(z.string()).optional().describe('lines someone added inside DevQ\'s block: they stay in the hook where the block was')
  })),
  advice: z.array(HookAdvice).describe('DevQ\'s lines still in a hook manager\'s files, to take out by hand')
})

/** A setting's value: lists are arrays of strings. */
const SettingValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])

/** `devq config get <key> --json`, and each setting of `config list`. */
export const ConfigGetOutput = z.object({
  key: z.string(),
  value: SettingValue.optional().describe('absent for a setting that is off unless set (webhook-listen, say)'),
  source: z.enum(['default', 'file', 'env', 'flag']),
  from: z.string().optional().describe('the file:line:col, the variable or the flag it comes from')
})

/** `devq config list --json`. */
export const ConfigListOutput = z.object({
  file: z.string().describe('the config file'),
  exists: z.boolean(),
  settings: z.array(ConfigGetOutput)
})

/** `devq config set <key> <value> --json`. */
export const ConfigSetOutput = z.object({
  key: z.string(),
  value: SettingValue,
  file: z.string(),
  restartNeeded: z.literal(true),
  running: z.boolean().describe('a node runs on the data dir now (it reads the file when it restarts)')
})

/** `devq config unset <key> --json`. */
export const ConfigUnsetOutput = z.object({
  key: z.string(),
  file: z.string(),
  removed: z.boolean().describe('false when the file did not set it'),
  restartNeeded: z.boolean(),
  running: z.boolean()
})

/** `devq doctor --json`. */
export const DoctorOutput = z.object({
  ok: z.boolean().describe('no check failed (the exit code is 0)'),
  checks: z.array(z.object({ check: z.string(), level: z.enum(['ok', 'warn', 'fail']), message: z.string(), fix: z.string().optional() }))
})

const ResourceDescriptor = z.object({
  name: z.string().optional(),
  uri: z.string().optional(),
  digest: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.union([z.string(), z.number()])).optional()
})

/** A DSSE envelope carrying the statement; `payload` is the standard base64 of its canonical bytes. */
const DsseEnvelope = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string().describe('the runner\'s peer id'), sig: z.string() }))
})

/** The in-toto v1 statement with its SLSA provenance v1 predicate (the README lists its fields). */
const ProvenanceStatement = z.object({
  _type: z.literal(IN_TOTO_STATEMENT_V1),
  subject: z.array(ResourceDescriptor),
  predicateType: z.literal(SLSA_PROVENANCE_V1),
  predicate: z.object({
    buildDefinition: z.object({
      buildType: z.string(),
      externalParameters: z.record(z.string(), z.unknown()),
      internalParameters: z.record(z.string(), z.unknown()),
      resolvedDependencies: z.array(ResourceDescriptor)
    }),
    runDetails: z.object({
      builder: z.object({ id: z.string() }),
      metadata: z.object({ invocationId: z.string(), startedOn: z.string(), finishedOn: z.string() }),
      byproducts: z.array(ResourceDescriptor)
    })
  })
})

/** `devq provenance <job|sha256:...> --json`: each job's verdict, checked on this side. */
export const ProvenanceOutput = z.object({
  jobs: z.array(z.object({
    job: z.string(),
    source: z.string().optional().describe('for a cached job, the job whose build it reuses'),
    valid: z.boolean(),
    problem: z.enum(['unsigned', 'bad_event', 'mismatch', 'bad_signature', 'no_result', 'missing_events']).optional().describe('why it is not valid (the README says what each means)'),
    detail: z.string().optional(),
    envelope: DsseEnvelope.optional().describe('present when valid; when not, if it could be rebuilt'),
    statement: ProvenanceStatement.optional()
  }))
})

/** `devq verify <file> --json`. */
export const VerifyOutput = z.object({
  file: z.string(),
  digest: z.string(),
  verified: z.boolean().describe('the exit code is 0 when true, 1 when not'),
  jobs: z.array(z.object({
    job: z.string(),
    source: z.string().optional(),
    pipelineJob: z.string(),
    attempt: z.number().int().min(1),
    status: z.enum(['succeeded', 'failed', 'cancelled', 'cached']),
    repo: z.string(),
    ref: z.string(),
    commit: z.string(),
    runner: z.string().describe('the peer id of the runner that signed the provenance'),
    origin: z.string(),
    runnerRoles: z.array(Role).optional().describe('the roles the runner held in the team at its finish (each implies the ones before: member, trusted, admin); absent from a node that does not say'),
    runnerRolesNow: z.array(Role).optional().describe('the roles it holds now (empty: no longer a member)')
  })).describe('the jobs whose signed provenance lists the file and whose runner meets --runner and --require-role'),
  reasons: z.array(z.string()).describe('why a job did not verify it')
})

/** `devq team init --json`. */
export const TeamInitOutput = z.object({ team: z.string(), mode: TeamMode, admin: z.string(), token: z.string().describe('the join token') })

/** `devq team token --json`. */
export const TeamTokenOutput = z.object({ token: z.string(), addrs: z.array(z.string()).describe('the running node\'s addresses in the token') })

/** `devq team join --json`. */
export const TeamJoinOutput = z.object({ team: z.string(), mode: TeamMode, peerId: z.string(), bootstrap: z.array(z.string()) })

/** `devq team list --json`. */
export const TeamListOutput = z.object({
  team: z.string(),
  mode: TeamMode,
  self: z.string().describe('this peer'),
  members: z.array(z.object({
    peer: z.string(),
    role: Role,
    listed: z.boolean().describe('in the member list (false: a live peer of an open team nobody listed)'),
    live: z.boolean(),
    self: z.boolean()
  }))
})

/** `devq team add|remove --json`: the team as the node's ledger holds it afterwards. */
export const TeamMembersOutput = z.object({ name: z.string().optional(), mode: TeamMode, members: z.record(z.string(), Role) })

/** `devq init --json`. */
export const InitOutput = z.object({
  peerId: z.string(),
  identity: z.enum(['existing', 'created']),
  dataDir: z.string(),
  action: z.enum(['existing', 'created', 'joined']),
  team: z.string(),
  mode: TeamMode,
  admin: z.boolean().describe('this peer is the team\'s admin'),
  token: z.string().optional().describe('the join token of a team just created'),
  next: z.array(z.string()).describe('what to do next, one step each')
})

/** Whether a new share mode reached the config file (`ShareKept`, share-keeper.ts). */
export const ShareKeptOutput = z.union([
  z.strictObject({ file: z.string().describe('the config file that lends the node this way after a restart too') }),
  z.strictObject({ error: z.string().describe('why the file could not be written: the mode holds until the node restarts') })
])

/** `devq share --json`, and what the share routes answer (`SharingView`, sharing.ts). */
export const ShareOutput = z.strictObject({
  mode: ShareMode,
  userActive: z.boolean(),
  idleSeconds: z.number().int().min(0).optional(),
  activitySource: z.enum(['desktop', 'probe', 'none']),
  idleAfterS: z.number(),
  kept: ShareKeptOutput.optional().describe('after a change of mode (devq share <mode>, POST /v1/share) only')
})

/** `devq open --json`: the dashboard's sign-in URL and whether a browser was started on it. */
export const OpenOutput = z.object({
  url: z.string().describe('http://<api host:port>/#code=<code>: opens the dashboard and signs the browser in, once'),
  expiresInMs: z.number().describe('how long the URL signs in, from when the node made it'),
  opened: z.boolean().describe('the platform\'s opener was started on it (never with --print)')
})

/** The shapes above, by their names in doc/cli-json.schema.json. */
export const toolOutputs = {
  share: ShareOutput,
  hookInstall: HookInstallOutput,
  hookUninstall: HookUninstallOutput,
  configList: ConfigListOutput,
  configGet: ConfigGetOutput,
  configSet: ConfigSetOutput,
  configUnset: ConfigUnsetOutput,
  doctor: DoctorOutput,
  provenance: ProvenanceOutput,
  verify: VerifyOutput,
  teamInit: TeamInitOutput,
  teamToken: TeamTokenOutput,
  teamJoin: TeamJoinOutput,
  teamList: TeamListOutput,
  teamMembers: TeamMembersOutput,
  init: InitOutput,
  open: OpenOutput
} as const

export type HookInstallOutput = z.infer<typeof HookInstallOutput>
export type ConfigGetOutput = z.infer<typeof ConfigGetOutput>
export type SettingValue = z.infer<typeof SettingValue>
export type TeamListOutput = z.infer<typeof TeamListOutput>
export type ProvenanceOutput = z.infer<typeof ProvenanceOutput>
export type VerifyOutput = z.infer<typeof VerifyOutput>
export type InitOutput = z.infer<typeof InitOutput>
