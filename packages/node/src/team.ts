import { z } from 'zod'
import { PeerIdString, TeamName } from '@devq/core'
import { JoinTokenError, TeamError } from './errors.ts'
import { dataPath } from './paths.ts'
import { readPrivateFile, writePrivateFile } from './private-file.ts'

/** What this peer knows of its team before any sync: enough to connect and to judge members. */
export const TeamFile = z.strictObject({
  v: z.literal(1),
  name: TeamName,
  mode: z.enum(['open', 'strict']),
  /** The private-network pre-shared key, in libp2p's PSK text format. */
  key: z.string().min(16).max(512),
  /** The peer that created the team; the first admin, trusted before the ledger says so. */
  admin: PeerIdString,
  /** Multiaddrs (with /p2p/) of peers to dial at start. */
  bootstrap: z.array(z.string().max(512)).max(64)
})
export type TeamFile = z.infer<typeof TeamFile>

const MAX_TEAM_FILE = 64 * 1024
const TOKEN_PREFIX = 'devq1.'
/** Longest join token, in characters. */
export const MAX_JOIN_TOKEN = 16 * 1024

export const teamPath = (dataDir: string): string => dataPath(dataDir, 'team')

/**
 * Reads the team file, or undefined when this peer has no team yet. Throws TeamError when it is
 * unreadable, not a team file, or accessible by group or others (it holds the team key).
 */
export async function readTeam (dataDir: string): Promise<TeamFile | undefined> {
  const path = teamPath(dataDir)
  let bytes: Buffer | undefined
  try {
    bytes = await readPrivateFile(path, 'the team key', MAX_TEAM_FILE, (message, detail) => new TeamError(message, { path, detail }))
  } catch (err) {
    if (err instanceof TeamError) throw err
    throw new TeamError(`cannot read ${path}: ${(err as Error).message}`, { path, detail: 'unreadable' }, { cause: err })
  }
  if (bytes === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new TeamError(`${path} is not JSON: ${(err as Error).message}`, { path, detail: 'not JSON' }, { cause: err })
  }
  const parsed = TeamFile.safeParse(value)
  if (!parsed.success) throw new TeamError(`${path}: ${z.prettifyError(parsed.error)}`, { path, detail: 'invalid' })
  return parsed.data
}

/** Writes the team file atomically, readable by this user only (it holds the team key); the data dir is made 0700. */
export async function writeTeam (dataDir: string, team: TeamFile): Promise<void> {
  await writePrivateFile(teamPath(dataDir), JSON.stringify(TeamFile.parse(team), null, 2) + '\n')
}

const TokenBody = z.strictObject({
  name: TeamFile.shape.name,
  mode: TeamFile.shape.mode,
  key: TeamFile.shape.key,
  admin: TeamFile.shape.admin,
  addrs: z.array(z.string().max(512)).max(16)
})
export type JoinToken = z.infer<typeof TokenBody>

/** One copy-pasteable string with the team key and the inviting peer's addresses. */
export function encodeJoinToken (token: JoinToken): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify(TokenBody.parse(token))).toString('base64url')
}

/** Decodes a join token; throws JoinTokenError saying what is wrong with it. */
export function decodeJoinToken (text: string): JoinToken {
  const trimmed = text.trim()
  if (trimmed.length > MAX_JOIN_TOKEN) throw new JoinTokenError(`join token is longer than ${MAX_JOIN_TOKEN} characters`, { detail: 'too long' })
  if (!trimmed.startsWith(TOKEN_PREFIX)) throw new JoinTokenError(`join token must start with ${TOKEN_PREFIX}`, { detail: 'prefix' })
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(trimmed.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    throw new JoinTokenError('join token is damaged (not base64url JSON); copy it again', { detail: 'encoding' })
  }
  const parsed = TokenBody.safeParse(value)
  if (!parsed.success) throw new JoinTokenError(`join token is invalid: ${z.prettifyError(parsed.error)}`, { detail: 'schema' })
  return parsed.data
}
