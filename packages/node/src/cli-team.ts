/** `devq team`: create a team, print and use its join token, list and manage members. */
import type { Command } from 'commander'
import { z } from 'zod'
import { connectApi } from './client.ts'
import { createTeam, joinTeam, joinTokenText, tokenFor } from './team-setup.ts'
import { TeamInitOutput, TeamJoinOutput, TeamListOutput, TeamMembersOutput, TeamTokenOutput } from './cli-schemas-tools.ts'
import { printResult, shaped } from './cli-output.ts'

type DataDirOf = (o: { dataDir?: string }) => string

/** What `team list` reads of `GET /v1/status`: this peer, the team, and the live peers. */
const TeamStatus = z.object({
  peer: z.object({ id: z.string() }),
  team: z.object({ name: z.string(), mode: z.enum(['open', 'strict']), members: z.record(z.string(), z.enum(['member', 'trusted', 'admin'])) }),
  peers: z.array(z.object({ id: z.string() }))
})
type TeamStatus = z.infer<typeof TeamStatus>

/** One row of `devq team list`. */
type MemberRow = TeamListOutput['members'][number]

/**
 * The team's members from the running node: listed ones with their roles, and in an open team
 * also the live peers no one listed (any peer with the key is a member there).
 */
function memberRows (s: TeamStatus): MemberRow[] {
  const live = new Set(s.peers.map((p) => p.id))
  const isLive = (peer: string): boolean => peer === s.peer.id || live.has(peer)
  const rows: MemberRow[] = Object.entries(s.team.members).map(([peer, role]) => ({ peer, role, listed: true, live: isLive(peer), self: peer === s.peer.id }))
  if (s.team.mode === 'open') {
    for (const peer of [s.peer.id, ...live.keys()]) if (!rows.some((r) => r.peer === peer)) rows.push({ peer, role: 'member', listed: false, live: true, self: peer === s.peer.id })
  }
  const rank: Record<string, number> = { admin: 0, trusted: 1, member: 2 }
  return rows.sort((a, b) => (rank[a.role] ?? 3) - (rank[b.role] ?? 3) || (a.peer < b.peer ? -1 : 1))
}

function listCommand (team: Command, dataDirOf: DataDirOf): void {
  team.command('list').description('the team\'s members with their roles, this peer marked, and who is live').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: { dataDir?: string, json?: boolean }) => {
      const s = shaped(TeamStatus, await (await connectApi(dataDirOf(o))).get('/v1/status'), 'GET /v1/status')
      const rows = memberRows(s)
      const lines = [`team ${s.team.name} (${s.team.mode}): ${rows.length} member(s), ${rows.filter((r) => r.live).length} live${rows.some((r) => r.self) ? ' (this peer among them)' : ''}`,
        ...rows.map((r) => `  ${r.peer}  ${r.role.padEnd(7)}  ${r.live ? 'live' : '-   '}${r.self ? '  (this peer)' : ''}${r.listed ? '' : '  (not listed: open team)'}`)]
      printResult(o.json === true, TeamListOutput, { team: s.team.name, mode: s.team.mode, self: s.peer.id, members: rows }, lines.join('\n'))
    })
}

/** Adds `devq team init|token|join|list|add|remove` to the program. */
export function teamCommands (program: Command, dataDirOf: DataDirOf): void {
  const team = program.command('team').description('create, join and manage the team')
  team.command('init').description('create a new team with this peer as its admin')
    .option('--name <name>', 'team name').option('--mode <mode>', 'open or strict', 'open').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: { name?: string, mode: string, dataDir?: string, json?: boolean }) => {
      const made = await createTeam(dataDirOf(o), o)
      printResult(o.json === true, TeamInitOutput, made, `team ${made.team} created (${made.mode}); admin ${made.admin}\njoin token (start devq-node, then run devq team token for one with addresses):\n${made.token}`)
    })
  team.command('token').description('print the join token (with the running node\'s addresses)').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: { dataDir?: string, json?: boolean }) => {
      const { token, addrs } = await tokenFor(dataDirOf(o))
      printResult(o.json === true, TeamTokenOutput, { token, addrs }, token)
    })
  team.command('join [token]').description('store the team key and bootstrap addresses from a join token (- reads it from stdin)')
    .option('--token-file <path>', 'read the join token from this file').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (arg: string | undefined, o: { tokenFile?: string, dataDir?: string, json?: boolean }) => {
      const joined = await joinTeam(dataDirOf(o), await joinTokenText(arg, o.tokenFile))
      printResult(o.json === true, TeamJoinOutput, joined, `joined team ${joined.team} (${joined.mode}) as ${joined.peerId}; start devq-node to connect`)
    })
  listCommand(team, dataDirOf)
  team.command('add <peer>').description('add a member (admin only)').option('--trusted', 'may run sensitive jobs').option('--admin').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (peer: string, o: { trusted?: boolean, admin?: boolean, dataDir?: string, json?: boolean }) => {
      const role = o.admin === true ? 'admin' : o.trusted === true ? 'trusted' : 'member'
      const res = shaped(TeamMembersOutput, await (await connectApi(dataDirOf(o))).post('/v1/team/members', { peer, role }), 'POST /v1/team/members')
      printResult(o.json === true, TeamMembersOutput, res, `${peer} is a ${role}`)
    })
  team.command('remove <peer>').description('remove a member (admin only)').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (peer: string, o: { dataDir?: string, json?: boolean }) => {
      const res = shaped(TeamMembersOutput, await (await connectApi(dataDirOf(o))).delete(`/v1/team/members/${encodeURIComponent(peer)}`), 'DELETE /v1/team/members')
      printResult(o.json === true, TeamMembersOutput, res, `${peer} removed`)
    })
}
