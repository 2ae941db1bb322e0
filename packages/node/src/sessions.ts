/**
 * Who is logged in to this machine and how long ago each session had input, for a headless node
 * lent in `idle` or `shared` mode. systemd-logind knows desktop and terminal sessions alike
 * (`loginctl`); where it does not run, utmp does (`who -u`). Each probe starts one or two short
 * processes, so callers run it every few seconds at most, never on a hot path.
 */
import { execFile } from 'node:child_process'

/** How long a probe command may take (ms), and how much it may print (bytes). */
const PROBE_TIMEOUT_MS = 2_000
const PROBE_MAX_OUTPUT = 64 * 1024
/** Most sessions read from one answer; more are not looked at. */
const MAX_SESSIONS = 256

/**
 * One login session as a probe saw it: seconds since its last input, 0 when it is in use now or
 * nobody can tell (a display session utmp knows no terminal for).
 */
export interface SessionSeen {
  idleSeconds: number
}

/** Runs a command, resolving with its stdout, or undefined when it is missing, fails or hangs. */
export type RunCommand = (file: string, args: readonly string[]) => Promise<string | undefined>

/** `execFile` in the C locale, so dates and numbers come out in one format; never rejects. */
export const runCommand: RunCommand = async (file, args) => await new Promise((resolve) => {
  execFile(file, [...args], { timeout: PROBE_TIMEOUT_MS, maxBuffer: PROBE_MAX_OUTPUT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } }, (err, stdout) => {
    resolve(err === null ? stdout : undefined)
  })
})

/**
 * The idle column of `who -u`: `.` (input within the last minute), `HH:MM`, `old` (over a day) or
 * `?` (no terminal to tell by). Undefined when `token` is none of these.
 */
export function parseWhoIdle (token: string): number | undefined {
  if (token === '.' || token === '?') return 0
  if (token === 'old') return 86_400
  const m = /^(\d{1,2}):(\d{2})$/.exec(token)
  return m === null ? undefined : Number(m[1]) * 3600 + Number(m[2]) * 60
}

/**
 * Sessions from `who -u`: `NAME LINE <login date and HH:MM> IDLE PID (COMMENT)`. The login time is
 * the first `HH:MM` after the line; the idle column is the next field. Lines that do not parse are
 * taken as sessions in use.
 */
export function parseWho (text: string): SessionSeen[] {
  const out: SessionSeen[] = []
  for (const line of text.split('\n').slice(0, MAX_SESSIONS)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 3) continue
    const at = fields.findIndex((f, i) => i >= 2 && /^\d{1,2}:\d{2}$/.test(f))
    const idle = at < 0 ? undefined : parseWhoIdle(fields[at + 1] ?? '')
    out.push({ idleSeconds: idle ?? 0 })
  }
  return out
}

/** Session ids from `loginctl list-sessions --no-legend`: the first field of each line. */
export function parseSessionIds (text: string): string[] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((id) => /^[A-Za-z0-9_-]{1,64}$/.test(id)).slice(0, MAX_SESSIONS)
}

/**
 * Sessions from `loginctl show-session <ids> -p Class -p IdleHint -p IdleSinceHint`: blocks of
 * `Key=Value` lines separated by blank lines. Only `user` sessions count (not greeters, lock screens
 * or the user manager); one whose IdleHint is `no` is in use, one idle since `IdleSinceHint` (wall
 * µs) has been idle since then.
 */
export function parseShowSessions (text: string, nowWallMs: number): SessionSeen[] {
  const out: SessionSeen[] = []
  for (const block of text.split(/\n\s*\n/).slice(0, MAX_SESSIONS)) {
    const props = new Map<string, string>()
    for (const line of block.split('\n')) {
      const at = line.indexOf('=')
      if (at > 0) props.set(line.slice(0, at).trim(), line.slice(at + 1).trim())
    }
    if (props.size === 0 || (props.get('Class') ?? 'user') !== 'user') continue
    const sinceUs = Number(props.get('IdleSinceHint') ?? '0')
    const idle = props.get('IdleHint') === 'yes' && Number.isFinite(sinceUs) && sinceUs > 0 ? Math.max(0, (nowWallMs - sinceUs / 1000) / 1000) : 0
    out.push({ idleSeconds: idle })
  }
  return out
}

/**
 * The login sessions of this machine: from systemd-logind when `loginctl` answers, else from
 * `who -u`; an empty list when neither does (a box nobody logs in to, or a container).
 */
export async function probeSessions (run: RunCommand = runCommand, nowWallMs: () => number = Date.now): Promise<SessionSeen[]> {
  const listed = await run('loginctl', ['list-sessions', '--no-legend', '--no-pager'])
  if (listed !== undefined) {
    const ids = parseSessionIds(listed)
    if (ids.length === 0) return []
    const shown = await run('loginctl', ['show-session', ...ids, '-p', 'Class', '-p', 'IdleHint', '-p', 'IdleSinceHint'])
    if (shown !== undefined) return parseShowSessions(shown, nowWallMs())
  }
  return parseWho(await run('who', ['-u']) ?? '')
}
