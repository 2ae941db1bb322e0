/**
 * The checks of `devq doctor` about this peer's own files and its place in the team and the mesh.
 * Each takes what it looks at (paths, a team file, the node's answers) and gives one line: ok,
 * warn or fail, with how to fix it. They read; none of them changes anything.
 */
import { stat } from 'node:fs/promises'
import { tooOpen } from './private-file.ts'
import type { TeamFile } from './team.ts'

export type CheckLevel = 'ok' | 'warn' | 'fail'

/** One line of the report. `fix` says what to run or change, when there is something to do. */
export interface CheckResult {
  check: string
  level: CheckLevel
  message: string
  fix?: string
}

/** What the running node said, as far as the checks need it (`GET /v1/status` and `GET /v1/doctor`). */
export interface NodeReport {
  peerId: string
  team: { name: string, mode: 'open' | 'strict', members: Record<string, string> }
  /** Live peers other than this one. */
  live: string[]
  connected: string[]
  /** Clock skew of each live peer: its heartbeat's wall time minus this machine's at receipt (ms). */
  clocks: { peer: string, skewMs: number }[]
  sandbox: 'auto' | 'on' | 'off'
}

/**
 * A secret file of the data dir: present, and closed to group and others. `missing` is the line
 * for a file that is not there.
 */
export async function checkPrivateFile (check: string, path: string, holds: string, missing: Omit<CheckResult, 'check'>): Promise<CheckResult> {
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { check, ...missing }
    return { check, level: 'fail', message: `cannot read ${path}: ${(err as Error).message}` }
  }
  const open = tooOpen(path, mode, holds)
  if (open !== undefined) return { check, level: 'fail', message: open, fix: `chmod 600 ${path}` }
  return { check, level: 'ok', message: `${path} (mode ${(mode & 0o777).toString(8).padStart(4, '0')})` }
}

/** The team's mode and whether this peer belongs to it: from the node when it runs, else from the team file. */
export function checkMembership (team: TeamFile, node: NodeReport | undefined): CheckResult {
  const check = 'team'
  if (team.mode === 'open') return { check, level: 'ok', message: `open team ${team.name}: any peer with the team key is a member` }
  if (node === undefined) {
    return { check, level: 'warn', message: `strict team ${team.name}: whether this peer is a member shows once the node runs (its admin is ${team.admin})` }
  }
  const role = node.team.members[node.peerId]
  if (role === undefined) return { check, level: 'fail', message: `strict team ${team.name}: this peer (${node.peerId}) is not a member yet, so it writes and runs nothing`, fix: `ask an admin to run: devq team add ${node.peerId}` }
  return { check, level: 'ok', message: `strict team ${team.name}: this peer is ${role === 'admin' ? 'an admin' : role === 'member' ? 'a member' : role}` }
}

/** Whether this peer reaches the rest of its team: connections, and live peers against listed members. */
export function checkPeers (team: TeamFile | undefined, node: NodeReport): CheckResult {
  const check = 'peers'
  const others = Object.keys(node.team.members).filter((p) => p !== node.peerId)
  const counts = `${node.connected.length} connected, ${node.live.length} live`
  const alone = others.length === 0 && node.live.length === 0
  if (alone && (team?.bootstrap.length ?? 0) === 0) return { check, level: 'ok', message: `alone in the team so far (${counts})` }
  if (node.connected.length === 0) {
    return { check, level: 'fail', message: `no peer reachable (${others.length} other member(s) listed)`, fix: 'check the network and the bootstrap addresses in team.json (a fresh join token from a running peer has them)' }
  }
  const absent = others.filter((p) => !node.live.includes(p))
  if (absent.length > 0) return { check, level: 'warn', message: `${counts}; ${absent.length} of ${others.length} other listed member(s) not live: ${absent.map((p) => p.slice(0, 12)).join(', ')}` }
  return { check, level: 'ok', message: counts }
}

/** Skew above which the clock check warns, and fails (ms). */
export const CLOCK_WARN_MS = 2_000
export const CLOCK_FAIL_MS = 30_000

/** This machine's wall clock against the newest heartbeat of each live peer. */
export function checkClock (clocks: NodeReport['clocks']): CheckResult {
  const check = 'clock'
  if (clocks.length === 0) return { check, level: 'ok', message: 'no live peer to compare with' }
  const worst = clocks.reduce((a, b) => (Math.abs(b.skewMs) > Math.abs(a.skewMs) ? b : a))
  const seconds = (ms: number): string => `${ms >= 0 ? '+' : ''}${(ms / 1000).toFixed(1)} s`
  const message = `largest skew ${seconds(worst.skewMs)} (${worst.peer.slice(0, 12)}) over ${clocks.length} live peer(s)`
  const fix = 'turn on time sync (timedatectl set-ntp true) on the machine whose clock is off'
  if (Math.abs(worst.skewMs) > CLOCK_FAIL_MS) return { check, level: 'fail', message, fix }
  if (Math.abs(worst.skewMs) > CLOCK_WARN_MS) return { check, level: 'warn', message, fix }
  return { check, level: 'ok', message }
}
