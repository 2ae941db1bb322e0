import { Command } from 'commander'
import { MAX_SYNTHETIC_BURST } from './api-schemas.ts'
import { connectApi } from './client.ts'
import { buildCommands } from './cli-builds.ts'
import { configCommands } from './cli-config.ts'
import { teamCommands } from './cli-team.ts'
import { hookCommands } from './cli-hook.ts'
import { provenanceCommands } from './cli-provenance.ts'
import { doctorCommand } from './cli-doctor.ts'
import { initCommand } from './cli-init.ts'
import { locateNode } from './paths.ts'
import { DEVQ_VERSION } from './version.ts'

type Out = (text: string, json: unknown) => void

/** The data dir of the node a command talks to (see locateNode for the order). */
function dataDirOf (opts: { dataDir?: string }): string {
  return locateNode(opts.dataDir, process.env, process.cwd()).dataDir
}

function printer (json: boolean): Out {
  return (text, value) => { process.stdout.write((json ? JSON.stringify(value) : text) + '\n') }
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
  const program = new Command('devq').description('DevQ: a build grid for small teams that needs no server').version(DEVQ_VERSION)
  teamCommands(program, dataDirOf, printer)
  configCommands(program, printer)
  jobCommands(program)
  buildCommands(program, dataDirOf, printer)
  hookCommands(program, dataDirOf, printer)
  provenanceCommands(program, dataDirOf, printer)
  doctorCommand(program, dataDirOf, printer)
  initCommand(program, dataDirOf, printer)
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    const e = err as Error
    process.stderr.write(`devq: ${e.message}\n`)
    process.exitCode = 2
  }
}
