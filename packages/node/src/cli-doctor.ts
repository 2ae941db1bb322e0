/**
 * `devq doctor`: one line per check of this peer's setup (files, team, node, peers, clock, git,
 * hook, sandbox, disk), each ok, warn or fail with how to fix it. Exit 0 without a fail, else 1.
 */
import type { Command } from 'commander'
import { z } from 'zod'
import { resolveConfig } from './config.ts'
import { checkClock, checkMembership, checkPeers, checkPrivateFile, type CheckResult, type NodeReport } from './doctor-checks.ts'
import { checkDisk, checkGit, checkHook, checkSandbox, createCommandRunner } from './doctor-system.ts'
import { dataPath } from './paths.ts'
import { readApiToken, readRuntime, tokenPath } from './runtime.ts'
import { readTeam, teamPath, type TeamFile } from './team.ts'
import { DoctorOutput } from './cli-schemas-tools.ts'
import { printResult } from './cli-output.ts'

type DataDirOf = (o: { dataDir?: string }) => string

/** Where doctor looks: the data dir, the repository it runs in, and the environment (PATH) for programs. */
export interface DoctorContext {
  dataDir: string
  cwd: string
  env: NodeJS.ProcessEnv
}

/** Largest answer read from the node, in bytes. */
const MAX_ANSWER = 4 * 1024 * 1024
const ANSWER_TIMEOUT_MS = 5_000

const StatusAnswer = z.object({
  peer: z.object({ id: z.string().max(128) }),
  team: z.object({ name: z.string().max(64), mode: z.enum(['open', 'strict']), members: z.record(z.string().max(128), z.string().max(16)) }),
  peers: z.array(z.object({ id: z.string().max(128) })).max(10_000),
  connected: z.array(z.string().max(128)).max(10_000)
})
const DoctorAnswer = z.object({
  sandbox: z.enum(['auto', 'on', 'off']),
  clocks: z.array(z.object({ peer: z.string().max(128), skewMs: z.number() })).max(10_000)
})

/** GET of the node's API with its token, size-capped, validated by `schema`. Throws what went wrong. */
async function getJson<T> (api: string, token: string, path: string, schema: z.ZodType<T>): Promise<T> {
  const res = await fetch(api + path, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) })
  const text = await res.text()
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${path}`)
  if (text.length > MAX_ANSWER) throw new Error(`the answer to ${path} is larger than ${MAX_ANSWER} bytes`)
  const parsed = schema.safeParse(JSON.parse(text))
  if (!parsed.success) throw new Error(`unexpected answer to ${path}: ${z.prettifyError(parsed.error)}`)
  return parsed.data
}

/** Whether the node runs and answers, and what it says when it does. */
async function checkNode (dataDir: string): Promise<{ result: CheckResult, report?: NodeReport }> {
  const check = 'node'
  const info = await readRuntime(dataDir)
  if (info === undefined) return { result: { check, level: 'fail', message: `no devq-node is running on ${dataDir}`, fix: `devq-node --data-dir ${dataDir}` } }
  let token: string | undefined
  try {
    token = await readApiToken(dataDir)
  } catch (err) {
    const detail = (err as { data?: { detail?: string } }).data?.detail
    return { result: { check, level: 'fail', message: (err as Error).message, ...(detail === 'permissions' ? { fix: `chmod 600 ${tokenPath(dataDir)}` } : {}) } }
  }
  if (token === undefined) return { result: { check, level: 'fail', message: `no valid token in ${tokenPath(dataDir)}`, fix: 'restart devq-node: it writes one at start' } }
  try {
    const [status, doctor] = await Promise.all([getJson(info.api, token, '/v1/status', StatusAnswer), getJson(info.api, token, '/v1/doctor', DoctorAnswer)])
    const report: NodeReport = { peerId: status.peer.id, team: status.team, live: status.peers.map((p) => p.id), connected: status.connected, clocks: doctor.clocks, sandbox: doctor.sandbox }
    return { result: { check, level: 'ok', message: `devq-node (pid ${info.pid}) answers at ${info.api} as ${status.peer.id}` }, report }
  } catch (err) {
    return { result: { check, level: 'fail', message: `the devq-node of ${dataDir} (pid ${info.pid}) does not answer at ${info.api}: ${(err as Error).message}`, fix: `restart it: devq-node --data-dir ${dataDir}` } }
  }
}

/** The team file, or why it cannot be used. */
async function teamOf (dataDir: string): Promise<TeamFile | string> {
  return await readTeam(dataDir).then((team) => team ?? `no team file in ${dataDir}`, (err: unknown) => (err as Error).message)
}

function sandboxSetting (ctx: DoctorContext, report: NodeReport | undefined): 'auto' | 'on' | 'off' {
  if (report !== undefined) return report.sandbox
  try {
    return resolveConfig({}, ctx.env, ctx.cwd).sandbox
  } catch {
    return 'auto'
  }
}

/** Every check, in report order. Changes nothing. */
export async function runDoctor (ctx: DoctorContext): Promise<CheckResult[]> {
  const run = createCommandRunner(ctx.env)
  const identity = await checkPrivateFile('identity', dataPath(ctx.dataDir, 'peerKey'), 'this peer\'s private key', { level: 'fail', message: `no peer key in ${ctx.dataDir}`, fix: `devq init --data-dir ${ctx.dataDir}` })
  const teamFile = await checkPrivateFile('team file', teamPath(ctx.dataDir), 'the team key', { level: 'fail', message: `no team file in ${ctx.dataDir}: this peer is in no team`, fix: `devq init --data-dir ${ctx.dataDir}` })
  const team = teamFile.level === 'ok' ? await teamOf(ctx.dataDir) : undefined
  const node = await checkNode(ctx.dataDir)
  const results = [identity, teamFile, node.result]
  // A missing or too open team file has its line already; one that does not read gets this one.
  if (typeof team === 'string') results.push({ check: 'team', level: 'fail', message: team, fix: `move ${teamPath(ctx.dataDir)} aside and run devq init` })
  else if (team !== undefined) results.push(checkMembership(team, node.report))
  if (node.report !== undefined) results.push(checkPeers(typeof team === 'string' ? undefined : team, node.report), checkClock(node.report.clocks))
  results.push(await checkGit(run), await checkHook(run, ctx.cwd), await checkSandbox(run, sandboxSetting(ctx, node.report)), await checkDisk(ctx.dataDir))
  return results
}

function render (results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.check.length))
  const lines = results.flatMap((r) => [`${r.level.padEnd(4)}  ${r.check.padEnd(width)}  ${r.message}`, ...(r.fix === undefined ? [] : [`      ${' '.repeat(width)}  fix: ${r.fix}`])])
  const fails = results.filter((r) => r.level === 'fail').length
  const warns = results.filter((r) => r.level === 'warn').length
  return [...lines, `${fails} fail, ${warns} warn, ${results.length - fails - warns} ok`].join('\n')
}

/** Adds `devq doctor` to the program. */
export function doctorCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('doctor').description('check this peer\'s setup: files, team, node, peers, clock, git, hook, sandbox, disk (exit 1 on a fail)')
    .option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: { dataDir?: string, json?: boolean }) => {
      const results = await runDoctor({ dataDir: dataDirOf(o), cwd: process.cwd(), env: process.env })
      const ok = results.every((r) => r.level !== 'fail')
      if (!ok) process.exitCode = 1
      printResult(o.json === true, DoctorOutput, { ok, checks: results }, render(results))
    })
}
