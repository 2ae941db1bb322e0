/**
 * `devq init`: a peer's first run. Makes its identity (peer key) when missing, then creates a team
 * or joins one, and says what to do next. Asks on a terminal; scripts give flags. The team steps
 * are those of `devq team init` and `devq team join` (team-setup.ts).
 */
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import { TeamError } from './errors.ts'
import { readTeam } from './team.ts'
import { createTeam, joinTeam, joinTokenText } from './team-setup.ts'
import { InitOutput } from './cli-schemas-tools.ts'
import { printResult } from './cli-output.ts'

type DataDirOf = (o: { dataDir?: string }) => string

interface InitOptions { create?: boolean, name?: string, mode?: string, join?: string, tokenFile?: string, dataDir?: string, json?: boolean }

/** What `devq init` tells a script that gave it no flags and has no terminal to ask on. */
export const INIT_USAGE = `devq init needs a terminal to ask, or flags:
  devq init --create [--name N] [--mode open|strict]   a new team with this peer as its admin
  devq init --join -                                   join with the join token on stdin
  devq init --token-file <path>                        join with the join token in a file
(a teammate prints the join token with devq team token)`

/** How this data dir gets its team: from the flags, or asked on the terminal. */
type Choice = { kind: 'create', name?: string, mode: string } | { kind: 'join', token: string }

/**
 * Asks on the terminal. Lines typed ahead (or pasted at once) are kept for the next question;
 * the terminal itself echoes them (cooked mode), so nothing here turns it raw.
 */
async function ask (dataDir: string, peerId: string): Promise<Choice> {
  process.stdout.write(`this peer: ${peerId}\n`)
  const rl = createInterface({ input: process.stdin, terminal: false })
  const lines = rl[Symbol.asyncIterator]()
  const question = async (text: string): Promise<string> => {
    process.stdout.write(text)
    const next = await lines.next()
    if (next.done === true) throw new TeamError('no answer: the input ended', { path: dataDir, detail: 'answer' })
    return String(next.value).trim()
  }
  try {
    const answer = (await question('Create a new team (c) or join one with a join token (j)? [c/j] ')).toLowerCase()
    if (answer.startsWith('j')) return { kind: 'join', token: await question('Paste the join token: ') }
    if (!answer.startsWith('c')) throw new TeamError(`answer c to create a team or j to join one (got ${JSON.stringify(answer)})`, { path: dataDir, detail: 'answer' })
    const name = await question('Team name (Enter for a generated one): ')
    const mode = await question('Mode: open (anyone with the join token) or strict (an admin adds each peer)? [open] ') || 'open'
    return { kind: 'create', mode, ...(name === '' ? {} : { name }) }
  } finally {
    rl.close()
  }
}

/** The choice the flags make, `undefined` when they make none. Throws TeamError for conflicting flags. */
function fromFlags (o: InitOptions, dataDir: string): Choice | 'join-flags' | undefined {
  const joining = o.join !== undefined || o.tokenFile !== undefined
  if (o.create === true && joining) throw new TeamError('give either --create or --join/--token-file, not both', { path: dataDir, detail: 'flags' })
  if (o.create === true) return { kind: 'create', mode: o.mode ?? 'open', ...(o.name === undefined ? {} : { name: o.name }) }
  if (o.name !== undefined || o.mode !== undefined) throw new TeamError('--name and --mode go with --create', { path: dataDir, detail: 'flags' })
  return joining ? 'join-flags' : undefined
}

/** What to do after init, one line each. */
function nextSteps (dataDir: string, team: { mode: 'open' | 'strict', admin: boolean, peerId: string }): string[] {
  const dir = ` --data-dir ${dataDir}`
  return [
    `start the node: devq-node${dir}`,
    ...(team.admin
      ? [`invite a teammate: devq team token${dir} (while the node runs), then on their machine: devq init --join -`,
          ...(team.mode === 'strict' ? [`add each teammate's peer id: devq team add <peer>${dir}`] : [])]
      : team.mode === 'strict' ? [`ask an admin to add this peer: devq team add ${team.peerId}`] : []),
    'in each repository: devq hook install (announces every commit to the grid)',
    `check the setup: devq doctor${dir}`
  ]
}

/** Adds `devq init` to the program. Exits 2 on a non-terminal without flags. */
export function initCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('init').description('first run: make this peer\'s identity, then create a team or join one (asks on a terminal)')
    .option('--create', 'create a new team with this peer as its admin').option('--name <name>', 'name of the new team').option('--mode <mode>', 'open or strict (new team)')
    .option('--join <token>', 'join with this join token (- reads it from stdin)').option('--token-file <path>', 'join with the join token in this file')
    .option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: InitOptions) => {
      const dataDir = dataDirOf(o)
      const flags = fromFlags(o, dataDir)
      const existing = await readTeam(dataDir)
      if (existing !== undefined && flags !== undefined) throw new TeamError(`${dataDir} already belongs to team ${existing.name}`, { path: dataDir, detail: 'exists' })
      if (existing === undefined && flags === undefined && !(process.stdin.isTTY && process.stdout.isTTY)) {
        process.stderr.write(INIT_USAGE + '\n')
        process.exitCode = 2
        return
      }
      const { loadOrCreatePeerKey } = await import('@devq/p2p')
      const { peerId, created } = await loadOrCreatePeerKey(dataDir)
      const hadKey = !created
      const lines = [`${hadKey ? 'identity' : 'new identity'}: peer ${peerId}`]
      let outcome: { action: 'existing' | 'created' | 'joined', team: string, mode: 'open' | 'strict', admin: boolean, token?: string }
      if (existing !== undefined) {
        outcome = { action: 'existing', team: existing.name, mode: existing.mode, admin: existing.admin === peerId }
        lines.push(`already in team ${existing.name} (${existing.mode})`)
      } else {
        const choice = flags === 'join-flags' ? { kind: 'join' as const, token: await joinTokenText(o.join, o.tokenFile) } : flags ?? await ask(dataDir, peerId)
        if (choice.kind === 'create') {
          const made = await createTeam(dataDir, choice)
          outcome = { action: 'created', team: made.team, mode: made.mode, admin: true, token: made.token }
          lines.push(`team ${made.team} created (${made.mode}), this peer its admin`)
        } else {
          const joined = await joinTeam(dataDir, choice.token)
          outcome = { action: 'joined', team: joined.team, mode: joined.mode, admin: false }
          lines.push(`joined team ${joined.team} (${joined.mode}) with ${joined.bootstrap.length} bootstrap address(es)`)
        }
      }
      const next = nextSteps(dataDir, { mode: outcome.mode, admin: outcome.admin, peerId })
      printResult(o.json === true, InitOutput, { peerId, identity: hadKey ? 'existing' : 'created', dataDir, ...outcome, next }, [...lines, 'next:', ...next.map((s) => `  ${s}`)].join('\n'))
    })
}
