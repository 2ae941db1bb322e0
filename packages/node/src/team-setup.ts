/**
 * Making this data dir part of a team: a new team with this peer as its admin, or joining one with
 * a join token. `devq team init|join` and `devq init` both come here. The join token holds the team
 * key, so it is also read from stdin (`-`) or a file, where neither `ps` nor the shell's history sees it.
 */
import { Readable } from 'node:stream'
import { TeamName } from '@devq/core'
import { JoinTokenError, TeamError } from './errors.ts'
import { readPrivateFile } from './private-file.ts'
import { readRuntime } from './runtime.ts'
import { decodeJoinToken, encodeJoinToken, MAX_JOIN_TOKEN, readTeam, writeTeam } from './team.ts'

/**
 * The first line of `input` (a join token is one line), read until a newline or the end and at
 * most a little over the longest token. Throws JoinTokenError when it is longer or empty.
 */
export async function firstLine (input: Readable, from: string): Promise<string> {
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

/** The join token's text: from the argument, from stdin when it is `-`, or from `file`. */
export async function joinTokenText (arg: string | undefined, file: string | undefined): Promise<string> {
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

/**
 * The join token for the team of `dataDir`, with the running node's addresses when it runs: `addrs`
 * when the node itself asks (it knows them before node.json is written), else node.json's.
 */
export async function tokenFor (dataDir: string, running?: { addrs: readonly string[] }): Promise<{ token: string, addrs: string[] }> {
  const team = await readTeam(dataDir)
  if (team === undefined) throw new TeamError(`no team in ${dataDir}; run devq team init or devq team join first`, { path: dataDir, detail: 'no team' })
  const addrs = running === undefined ? (await readRuntime(dataDir))?.addresses ?? [] : [...running.addrs]
  return { token: encodeJoinToken({ name: team.name, mode: team.mode, key: team.key, admin: team.admin, addrs }), addrs }
}

/** What `createTeam` made. */
export interface CreatedTeam {
  team: string
  mode: 'open' | 'strict'
  admin: string
  token: string
}

/**
 * A new team in `dataDir` with this peer (its key made if missing) as admin. Throws TeamError when
 * the data dir already belongs to a team, or the name or mode is invalid.
 */
export async function createTeam (dataDir: string, options: { name?: string, mode: string }): Promise<CreatedTeam> {
  if (await readTeam(dataDir) !== undefined) throw new TeamError(`${dataDir} already belongs to a team`, { path: dataDir, detail: 'exists' })
  const mode = options.mode
  if (mode !== 'open' && mode !== 'strict') throw new TeamError('--mode is open or strict', { path: dataDir, detail: 'mode' })
  // libp2p's keys load only for the commands that make or read the identity (see client-errors.ts).
  const { loadOrCreatePeerKey, formatTeamKey, generateTeamKey } = await import('@devq/p2p')
  const key = await loadOrCreatePeerKey(dataDir)
  const name = options.name ?? `devq-${key.peerId.slice(-8).toLowerCase()}`
  const valid = TeamName.safeParse(name)
  if (!valid.success) throw new TeamError(`--name: ${valid.error.issues[0]!.message}`, { path: dataDir, detail: 'name' })
  await writeTeam(dataDir, { v: 1, name, mode, key: formatTeamKey(generateTeamKey()), admin: key.peerId, bootstrap: [] })
  return { team: name, mode, admin: key.peerId, token: (await tokenFor(dataDir)).token }
}

/** What `joinTeam` stored. */
export interface JoinedTeam {
  team: string
  mode: 'open' | 'strict'
  peerId: string
  bootstrap: string[]
}

/**
 * Stores the team key and bootstrap addresses of the join token `text` in `dataDir` (this peer's
 * key made if missing). Throws JoinTokenError for a bad token, TeamError when already in a team.
 */
export async function joinTeam (dataDir: string, text: string): Promise<JoinedTeam> {
  const t = decodeJoinToken(text)
  if (await readTeam(dataDir) !== undefined) throw new TeamError(`${dataDir} already belongs to a team`, { path: dataDir, detail: 'exists' })
  const { loadOrCreatePeerKey } = await import('@devq/p2p')
  const key = await loadOrCreatePeerKey(dataDir)
  await writeTeam(dataDir, { v: 1, name: t.name, mode: t.mode, key: t.key, admin: t.admin, bootstrap: t.addrs })
  return { team: t.name, mode: t.mode, peerId: key.peerId, bootstrap: t.addrs }
}
