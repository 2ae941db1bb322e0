/** `devq team`: create a team, print and use its join token, list and manage members. */
import type { Command } from 'commander'
import { connectApi } from './client.ts'
import { createTeam, joinTeam, joinTokenText, tokenFor } from './team-setup.ts'

type Out = (text: string, json: unknown) => void
type DataDirOf = (o: { dataDir?: string }) => string

interface TeamStatus {
  peer: { id: string }
  team: { name: string, mode: 'open' | 'strict', members: Record<string, string> }
  peers: { id: string, status: string }[]
}

/** One row of `devq team list`. */
interface MemberRow { peer: string, role: string, listed: boolean, live: boolean, self: boolean }

/**
 * The team's members from the running node: listed ones with their roles, and in an open team
 * also the live peers no one listed (any peer with the key is a member there).
 */
function memberRows (s: TeamStatus): MemberRow[] {
  const live = new Map(s.peers.map((p) => [p.id, p.status]))
  const isLive = (peer: string): boolean => peer === s.peer.id || live.has(peer)
  const rows: MemberRow[] = Object.entries(s.team.members).map(([peer, role]) => ({ peer, role, listed: true, live: isLive(peer), self: peer === s.peer.id }))
  if (s.team.mode === 'open') {
    for (const peer of [s.peer.id, ...live.keys()]) if (!rows.some((r) => r.peer === peer)) rows.push({ peer, role: 'member', listed: false, live: true, self: peer === s.peer.id })
  }
  const rank: Record<string, number> = { admin: 0, trusted: 1, member: 2 }
  return rows.sort((a, b) => (rank[a.role] ?? 3) - (rank[b.role] ?? 3) || (a.peer < b.peer ? -1 : 1))
}

function listCommand (team: Command, dataDirOf: DataDirOf, printer: (json: boolean) => Out): void {
  team.command('list').description('the team\'s members with their roles, this peer marked, and who is live').option('--data-dir <dir>').option('--json')
    .action(async (o: { dataDir?: string, json?: boolean }) => {
      const s = await (await connectApi(dataDirOf(o))).get<TeamStatus>('/v1/status')
      const rows = memberRows(s)
      const lines = [`team ${s.team.name} (${s.team.mode}): ${rows.length} member(s), ${rows.filter((r) => r.live).length} live`,
        ...rows.map((r) => `  ${r.peer}  ${r.role.padEnd(7)}  ${r.live ? 'live' : '-   '}${r.self ? '  (this peer)' : ''}${r.listed ? '' : '  (not listed: open team)'}`)]
      printer(o.json === true)(lines.join('\n'), { team: s.team.name, mode: s.team.mode, self: s.peer.id, members: rows })
    })
}

/** Adds `devq team init|token|join|list|add|remove` to the program. */
export function teamCommands (program: Command, dataDirOf: DataDirOf, printer: (json: boolean) => Out): void {
  const team = program.command('team').description('create, join and manage the team')
  team.command('init').description('create a new team with this peer as its admin')
    .option('--name <name>', 'team name').option('--mode <mode>', 'open or strict', 'open').option('--data-dir <dir>').option('--json')
    .action(async (o: { name?: string, mode: string, dataDir?: string, json?: boolean }) => {
      const made = await createTeam(dataDirOf(o), o)
      printer(o.json === true)(`team ${made.team} created (${made.mode}); admin ${made.admin}\njoin token (start devq-node, then run devq team token for one with addresses):\n${made.token}`, made)
    })
  team.command('token').description('print the join token (with the running node\'s addresses)').option('--data-dir <dir>').option('--json')
    .action(async (o: { dataDir?: string, json?: boolean }) => {
      const { token, addrs } = await tokenFor(dataDirOf(o))
      printer(o.json === true)(token, { token, addrs })
    })
  team.command('join [token]').description('store the team key and bootstrap addresses from a join token (- reads it from stdin)')
    .option('--token-file <path>', 'read the join token from this file').option('--data-dir <dir>').option('--json')
    .action(async (arg: string | undefined, o: { tokenFile?: string, dataDir?: string, json?: boolean }) => {
      const joined = await joinTeam(dataDirOf(o), await joinTokenText(arg, o.tokenFile))
      printer(o.json === true)(`joined team ${joined.team} (${joined.mode}) as ${joined.peerId}; start devq-node to connect`, joined)
    })
  listCommand(team, dataDirOf, printer)
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
