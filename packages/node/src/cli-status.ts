/** `devq status`: this peer, every peer the grid knows (live or offline), the queue with estimates, counts. */
import type { Command } from 'commander'
import { connectApi } from './client.ts'
import { StatusOutput, type PeerRow, type QueueRow } from './cli-schemas.ts'
import { printJson, printLines, shaped } from './cli-output.ts'
import { colorWanted, columns, createStyle, formatAge, formatDuration, shortId, shortPeer, type Style } from './cli-style.ts'

type DataDirOf = (o: { dataDir?: string }) => string

function peerCells (p: PeerRow, st: Style): string[] {
  const state = st.status(p.state)
  if (p.state === 'offline') {
    return [shortPeer(p.id), state, '', '', p.labels?.join(',') ?? '', p.shareMode ?? '', p.version === undefined ? '' : `v${p.version}`,
      p.heardMsAgo === undefined ? 'never heard' : `last heard ${formatAge(p.heardMsAgo)} ago`]
  }
  const running = p.jobs.length === 0 ? '' : `running ${p.jobs.map(shortId).join(', ')}`
  return [shortPeer(p.id), state, p.slots === undefined ? '' : `${p.slots.used}/${p.slots.total} slots`, p.load === undefined ? '' : `load ${p.load.toFixed(2)}`,
    p.labels?.join(',') ?? '', p.shareMode ?? '', p.version === undefined ? '' : `v${p.version}`, running]
}

function queueCells (q: QueueRow, st: Style): string[] {
  const start = q.startsInMs === null ? st.dim('start unknown') : q.startsInMs === 0 ? 'starts now' : `starts in ~${formatDuration(q.startsInMs)}`
  return [`#${q.position}`, shortId(q.id), q.pipelineJob, q.priority, q.attempt > 1 ? `attempt ${q.attempt}` : '', `waited ${formatDuration(q.waitMs)}`, start]
}

/** The human form of the status view. */
export function statusLines (s: StatusOutput, st: Style): string[] {
  const me = s.peer
  const lines = [`peer ${me.id} ${st.status(me.state)} ${me.slots?.used ?? 0}/${me.slots?.total ?? 0} slots used${me.labels === undefined || me.labels.length === 0 ? '' : `, labels ${me.labels.join(',')}`}${me.shareMode === undefined ? '' : `, ${me.shareMode}`}${me.version === undefined ? '' : `, v${me.version}`}`,
    `team ${s.team.name} (${s.team.mode})${me.jobs.length === 0 ? '' : `; running ${me.jobs.map(shortId).join(', ')}`}`]
  const live = s.peers.filter((p) => p.state !== 'offline').length
  // Others only: this peer has its own line above (devq team list counts it among the live).
  lines.push(st.bold(`other peers: ${live} live, ${s.peers.length - live} offline`))
  lines.push(...columns(s.peers.map((p) => peerCells(p, st)), '  '))
  lines.push(st.bold(`queue: ${s.queue.length} queued${s.waiting > 0 ? `, ${s.waiting} waiting for jobs they need` : ''}`))
  lines.push(...columns(s.queue.map((q) => queueCells(q, st)), '  '))
  const counts = Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ')
  lines.push(`jobs: ${counts === '' ? 'none yet' : counts}`)
  return lines
}

/** Adds `devq status`. */
export function statusCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('status').description('this peer, every peer (live or offline), the queue with estimated starts, job counts')
    .option('--no-color', 'no colours (also NO_COLOR=1)').option('--data-dir <dir>').option('--json', 'print the status as JSON (see doc/cli-json.schema.json)')
    .action(async (o: { dataDir?: string, json?: boolean, color?: boolean }) => {
      const s = shaped(StatusOutput, await (await connectApi(dataDirOf(o))).get('/v1/views/status'), 'GET /v1/views/status')
      if (o.json === true) printJson(StatusOutput, s)
      else printLines(statusLines(s, createStyle(colorWanted(process.stdout, o.color))))
    })
}
