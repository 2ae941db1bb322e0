import { Command, CommanderError } from 'commander'
import { MAX_SYNTHETIC_BURST } from './api-schemas.ts'
import { connectApi } from './client.ts'
import { buildCommands } from './cli-builds.ts'
import { configCommands } from './cli-config.ts'
import { teamCommands } from './cli-team.ts'
import { shareCommands } from './cli-share.ts'
import { hookCommands } from './cli-hook.ts'
import { provenanceCommands } from './cli-provenance.ts'
import { doctorCommand } from './cli-doctor.ts'
import { initCommand } from './cli-init.ts'
import { locateNode } from './paths.ts'
import { DEVQ_VERSION } from './version.ts'
import { dailyCommands } from './cli-daily.ts'
import { exitCodeOf, usageErrorOutput } from './cli-exit.ts'
import { openCommand } from './cli-open.ts'

type Out = (text: string, json: unknown) => void

/** The data dir of the node a command talks to (see locateNode for the order). */
function dataDirOf (opts: { dataDir?: string }): string {
  return locateNode(opts.dataDir, process.env, process.cwd()).dataDir
}

function printer (json: boolean): Out {
  return (text, value) => { process.stdout.write((json ? JSON.stringify(value) : text) + '\n') }
}

function jobCommands (program: Command): void {
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
}

/**
 * The `devq` command line. An error prints `devq: <message>` on stderr and exits with the code
 * its kind maps to (cli-exit.ts; the README lists them).
 */
export async function runCli (argv: string[]): Promise<void> {
  const program = new Command('devq').description('DevQ: a build grid for small teams that needs no server').version(DEVQ_VERSION)
  // Before any command is added, so every command inherits it: usage errors come back here.
  program.exitOverride().configureOutput(usageErrorOutput)
  teamCommands(program, dataDirOf)
  configCommands(program)
  jobCommands(program)
  buildCommands(program, dataDirOf, printer)
  shareCommands(program, dataDirOf)
  hookCommands(program, dataDirOf)
  provenanceCommands(program, dataDirOf)
  doctorCommand(program, dataDirOf)
  initCommand(program, dataDirOf)
  dailyCommands(program, dataDirOf)
  openCommand(program, dataDirOf)
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    // Commander has printed its own message (or the help) already.
    if (!(err instanceof CommanderError)) process.stderr.write(`devq: ${(err as Error).message}\n`)
    process.exitCode = exitCodeOf(err)
  }
}
