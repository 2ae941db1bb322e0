/**
 * `devq team`: create a team, print and use its join token, manage members. The join token holds
 * the team key, so `join` also takes it from stdin (`-`) or a file, where neither `ps` nor the
 * shell's history sees it.
 */
import { Readable } from 'node:stream'
import type { Command } from 'commander'
import { TeamName } from '@devq/core'
import { formatTeamKey, generateTeamKey, loadOrCreatePeerKey } from '@devq/p2p'
import { connectApi } from './client.ts'
import { JoinTokenError, TeamError } from './errors.ts'
import { readPrivateFile } from './private-file.ts'
import { readRuntime } from './runtime.ts'
import { decodeJoinToken, encodeJoinToken, MAX_JOIN_TOKEN, readTeam, writeTeam } from './team.ts'

type Out = (text: string, json: unknown) => void
type DataDirOf = (o: { dataDir?: string }) => string

/**
 * The first line of `input` (a join token is one line), read until a newline or the end and at
 * most a little over the longest token. Throws JoinTokenError when it is longer or empty.
 */
async function firstLine (input: Readable, from: string): Promise<string> {
  let text = ''
  for await (const chunk of input) {
    text += String(chunk)
    const line = text.trimStart()
    if (line.includes('\n')) { text = line.slice(0, line.indexOf('\n')); break }
    if (text.length > MAX_JOIN_TOKEN + 2) throw new JoinTokenError(`the join token from ${from} is longer than ${MAX_JOIN_TOKEN} characters`, { detail: 'too long' })
  }
  input.destroy()
  if (text.trim() === '') throw new JoinTokenError(`no join token in ${from}`, { detail: 'empty' })
  return text.trim()
}

/** The join token's text: from the argument, from stdin when it is `-`, or from `--token-file`. */
async function joinTokenText (arg: string | undefined, file: string | undefined): Promise<string> {
  if (arg !== undefined && file !== undefined) throw new JoinTokenError('give the join token either as an argument (- for stdin) or with --token-file, not both', { detail: 'two sources' })
  if (file !== undefined) {
    let bytes: Buffer | undefined
    try {
      // The token holds the team key: a file others may read is refused, as team.json is.
      bytes = await readPrivateFile(file, 'a join token (the team key)', MAX_JOIN_TOKEN + 1024, (message, detail) => new JoinTokenError(message, { detail }))
    } catch (err) {
      if (err instanceof JoinTokenError) throw err
      throw new JoinTokenError(`cannot read the join token from ${file}: ${(err as Error).message}`, { detail: 'unreadable' }, { cause: err })
    }
    if (bytes === undefined) throw new JoinTokenError(`cannot read the join token from ${file}: no such file`, { detail: 'unreadable' })
    return await firstLine(Readable.from([bytes.toString('utf8')]), file)
  }
  if (arg === '-') {
    if (process.stdin.isTTY) process.stderr.write('paste the join token and press Enter: ')
    return await firstLine(process.stdin, 'stdin')
  }
  if (arg === undefined) throw new JoinTokenError('no join token: pipe it in with devq team join -, or give --token-file <path>', { detail: 'missing' })
  return arg
}

/** The join token for the team of `dataDir`, with the running node's addresses when it runs. */
async function tokenFor (dataDir: string): Promise<{ token: string, addrs: string[] }> {
  const team = await readTeam(dataDir)
  if (team === undefined) throw new TeamError(`no team in ${dataDir}; run devq team init or devq team join first`, { path: dataDir, detail: 'no team' })
  const addrs = (await readRuntime(dataDir))?.addresses ?? []
  return { token: encodeJoinToken({ name: team.name, mode: team.mode, key: team.key, admin: team.admin, addrs }), addrs }
}

/** Adds `devq team init|token|join|add|remove` to the program. */
export function teamCommands (program: Command, dataDirOf: DataDirOf, printer: (json: boolean) => Out): void {
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
  team.command('join [token]').description('store the team key and bootstrap addresses from a join token (- reads it from stdin)')
    .option('--token-file <path>', 'read the join token from this file').option('--data-dir <dir>').option('--json')
    .action(async (arg: string | undefined, o: { tokenFile?: string, dataDir?: string, json?: boolean }) => {
      const dataDir = dataDirOf(o)
      const t = decodeJoinToken(await joinTokenText(arg, o.tokenFile))
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

