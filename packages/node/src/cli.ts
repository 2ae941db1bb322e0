import { Command } from 'commander'
import { TeamName } from '@devq/core'
import { formatTeamKey, generateTeamKey, loadOrCreatePeerKey } from '@devq/p2p'
import { resolveConfig } from './config.ts'
import { MAX_SYNTHETIC_BURST } from './api-schemas.ts'
import { connectApi } from './client.ts'
import { decodeJoinToken, encodeJoinToken, readTeam, writeTeam } from './team.ts'
import { TeamError } from './errors.ts'
import { readRuntime } from './runtime.ts'
import { buildCommands } from './cli-builds.ts'

type Out = (text: string, json: unknown) => void

function dataDirOf (opts: { dataDir?: string }): string {
  return resolveConfig(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }, process.env, process.cwd()).dataDir
}

function printer (json: boolean): Out {
  return (text, value) => { process.stdout.write((json ? JSON.stringify(value) : text) + '\n') }
}

/** The join token for the team of `dataDir`, with the running node's addresses when it runs. */
async function tokenFor (dataDir: string): Promise<{ token: string, addrs: string[] }> {
  const team = await readTeam(dataDir)
  if (team === undefined) throw new TeamError(`no team in ${dataDir}; run devq team init or devq team join first`, { path: dataDir, detail: 'no team' })
  const addrs = (await readRuntime(dataDir))?.addresses ?? []
  return { token: encodeJoinToken({ name: team.name, mode: team.mode, key: team.key, admin: team.admin, addrs }), addrs }
}

function teamCommands (program: Command): void {
  const team = program.command('team').description('create, join and manage the team')
  team.command('init').description('create a new team with this peer as its admin')
    .option('--name <name>', 'team name').option('--mode <mode>', 'open or strict', 'open').option('--data-dir <dir>').option('--json')
    .action(async (o: { name?: string, mode: string, dataDir?: string, json?: boolean }) => {
      const dataDir = dataDirOf(o)
      if (await readTeam(dataDir) !== undefined) throw new TeamError(`${dataDir} already belongs to a team`, { path: dataDir, detail: 'exists' })
      if (o.mode !== 'open' && o.mode !== 'strict') throw new TeamError('--mode is open or strict', { path: dataDir, detail: 'mode' })
      const key = await loadOrCreatePeerKey(dataDir)
      const name = o.name ?? `devq-${key.peerId.slice(-8).toLowerCase()}`
      const valid = TeamName.safeParse(name)
      if (!valid.success) throw new TeamError(`--name: ${valid.error.issues[0]!.message}`, { path: dataDir, detail: 'name' })
      await writeTeam(dataDir, { v: 1, name, mode: o.mode, key: formatTeamKey(generateTeamKey()), admin: key.peerId, bootstrap: [] })
      const { token } = await tokenFor(dataDir)
      printer(o.json === true)(`team ${name} created (${o.mode}); admin ${key.peerId}\njoin token (start devq-node, then run devq team token for one with addresses):\n${token}`, { team: name, mode: o.mode, admin: key.peerId, token })
    })
  team.command('token').description('print the join token (with the running node\'s addresses)').option('--data-dir <dir>').option('--json')
    .action(async (o: { dataDir?: string, json?: boolean }) => {
      const { token, addrs } = await tokenFor(dataDirOf(o))
      printer(o.json === true)(token, { token, addrs })
    })
  team.command('join <token>').description('store the team key and bootstrap addresses from a join token').option('--data-dir <dir>').option('--json')
    .action(async (text: string, o: { dataDir?: string, json?: boolean }) => {
      const dataDir = dataDirOf(o)
      const t = decodeJoinToken(text)
      if (await readTeam(dataDir) !== undefined) throw new TeamError(`${dataDir} already belongs to a team`, { path: dataDir, detail: 'exists' })
      const key = await loadOrCreatePeerKey(dataDir)
      await writeTeam(dataDir, { v: 1, name: t.name, mode: t.mode, key: t.key, admin: t.admin, bootstrap: t.addrs })
      printer(o.json === true)(`joined team ${t.name} (${t.mode}) as ${key.peerId}; start devq-node to connect`, { team: t.name, mode: t.mode, peerId: key.peerId, bootstrap: t.addrs })
    })
  team.command('add <peer>').description('add a member (admin only)').option('--trusted', 'may run sensitive jobs').option('--admin').option('--data-dir <dir>').option('--json')
    .action(async (peer: string, o: { trusted?: boolean, admin?: boolean, dataDir?: string, json?: boolean }) => {
      const role = o.admin === true ? 'admin' : o.trusted === true ? 'trusted' : 'member'
      const res = await (await connectApi(dataDirOf(o))).post('/v1/team/members', { peer, role })
      printer(o.json === true)(`${peer} is a ${role}`, res)
    })
  team.command('remove <peer>').description('remove a member (admin only)').option('--data-dir <dir>').option('--json')
    .action(async (peer: string, o: { dataDir?: string, json?: boolean }) => {
      const res = await (await connectApi(dataDirOf(o))).delete(`/v1/team/members/${encodeURIComponent(peer)}`)
      printer(o.json === true)(`${peer} removed`, res)
    })
}

function jobCommands (program: Command): void {
  program.command('status').description('this peer, the peers it hears, and the queue').option('--data-dir <dir>').option('--json')
    .action(async (o: { dataDir?: string, json?: boolean }) => {
      const s = await (await connectApi(dataDirOf(o))).get<{ peer: { id: string, status: string, freeSlots: number, slots: number }, peers: { id: string, status: string, freeSlots: number }[], queue: unknown[], counts: Record<string, number> }>('/v1/status')
      const lines = [`peer ${s.peer.id} ${s.peer.status} ${s.peer.freeSlots}/${s.peer.slots} slots free`,
        ...s.peers.map((p) => `  ${p.id} ${p.status} ${p.freeSlots} free`), `queue ${s.queue.length}; ${Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`]
      printer(o.json === true)(lines.join('\n'), s)
    })
  program.command('submit').description('submit a job').requiredOption('--synthetic', 'a synthetic job (sleep, exit code, output)')
    .option('--duration <ms>', 'how long it runs', '1000').option('--exit-code <n>', 'its exit code', '0').option('--output-bytes <n>', 'bytes it prints', '0')
    .option('--priority <p>', 'critical, high, normal or low', 'normal').option('--labels <labels>', 'comma-separated labels it needs', '')
    .option('--count <n>', `how many, announced at once (at most ${MAX_SYNTHETIC_BURST})`, '1').option('--data-dir <dir>').option('--json')
    .action(async (o: { duration: string, exitCode: string, outputBytes: string, priority: string, labels: string, count: string, dataDir?: string, json?: boolean }) => {
      const api = await connectApi(dataDirOf(o))
      const body = { durationMs: Number(o.duration), exitCode: Number(o.exitCode), outputBytes: Number(o.outputBytes), priority: o.priority, labels: o.labels.split(',').filter((l) => l !== ''), count: Number(o.count) }
      const { ids } = await api.post<{ ids: string[] }>('/v1/jobs/synthetic', body)
      printer(o.json === true)(ids.join('\n'), { ids })
    })
  for (const verb of ['cancel', 'retry'] as const) {
    program.command(`${verb} <job>`).description(`${verb} a job`).option('--data-dir <dir>').option('--json')
      .action(async (id: string, o: { dataDir?: string, json?: boolean }) => {
        const res = await (await connectApi(dataDirOf(o))).post<{ status: string }>(`/v1/jobs/${id}/${verb}`)
        printer(o.json === true)(`${id} ${res.status}`, res)
      })
  }
}

/** The `devq` command line. Errors print `devq: <message>` and exit 2. */
export async function runCli (argv: string[]): Promise<void> {
  const program = new Command('devq').description('DevQ: a build grid for small teams that needs no server')
  teamCommands(program)
  jobCommands(program)
  buildCommands(program, dataDirOf, printer)
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    const e = err as Error
    process.stderr.write(`devq: ${e.message}\n`)
    process.exitCode = 2
  }
}
