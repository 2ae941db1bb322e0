/**
 * The process table as Linux shows it in /proc: who is alive, in which process group, under which
 * parent, and whether a process carries a step's environment cookie. Reads only; never throws for
 * a process that vanishes mid-read (that is the normal case while a tree is being ended).
 */
import { readdir, readFile } from 'node:fs/promises'

/** The environment variable that marks every process of one step (Jenkins' ProcessTreeKiller idea). */
export const STEP_COOKIE_VAR = 'DEVQ_STEP_COOKIE'

/** One live process. */
export interface ProcEntry {
  pid: number
  ppid: number
  /** Process group id. */
  pgrp: number
  /** The one-letter state from /proc/<pid>/stat (`R`, `S`, `D`, `T`, `Z`, ...). */
  state: string
}

/**
 * Parses the text of /proc/<pid>/stat. The command name sits in parentheses and may itself hold
 * spaces and parentheses, so the fields are counted from the last `)`. Null for text of another shape.
 */
export function parseStat (text: string): ProcEntry | null {
  const open = text.indexOf(' (')
  const close = text.lastIndexOf(')')
  if (open < 1 || close < open) return null
  const pid = Number(text.slice(0, open))
  const fields = text.slice(close + 2).split(' ')
  const state = fields[0] ?? ''
  const ppid = Number(fields[1])
  const pgrp = Number(fields[2])
  if (!Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isInteger(pgrp) || state.length !== 1) return null
  return { pid, ppid, pgrp, state }
}

/**
 * Whether a NUL-separated environment block holds exactly `NAME=value` as one of its entries
 * (not as a prefix or suffix of a longer entry).
 */
export function environHas (environ: Uint8Array, entry: string): boolean {
  if (entry === '') return false
  const needle = Buffer.from(entry, 'utf8')
  const buf = Buffer.from(environ.buffer, environ.byteOffset, environ.byteLength)
  let from = 0
  while (from <= buf.length - needle.length) {
    const at = buf.indexOf(needle, from)
    if (at < 0) return false
    const startsEntry = at === 0 || buf[at - 1] === 0
    const end = at + needle.length
    if (startsEntry && (end === buf.length || buf[end] === 0)) return true
    from = at + 1
  }
  return false
}

/** Pids now listed in /proc, in no particular order. */
export async function listPids (): Promise<number[]> {
  const names = await readdir('/proc')
  const pids: number[] = []
  for (const name of names) {
    const pid = Number(name)
    if (Number.isInteger(pid) && pid > 0) pids.push(pid)
  }
  return pids
}

/** The stat of one process; null once it is gone (or unreadable). */
export async function readStat (pid: number): Promise<ProcEntry | null> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return null
  }
}

/** Whether the process's environment, as it was at its exec, carries `entry`. False if unreadable. */
export async function hasEnvEntry (pid: number, entry: string): Promise<boolean> {
  try {
    return environHas(await readFile(`/proc/${pid}/environ`), entry)
  } catch {
    return false
  }
}

/** What makes a process a member of a step's tree. */
export interface TreeMatch {
  /** The step's process group (its top process's pid). */
  pgid: number
  /** The step's cookie value: any process whose environment has `DEVQ_STEP_COOKIE=<cookie>`. */
  cookie: string
  /** Extra members known by pid (a cgroup's member list). */
  pids?: ReadonlySet<number>
}

/** Reads /proc in batches so a large process table does not open thousands of files at once. */
const SCAN_BATCH = 64

/**
 * Every live (not zombie) process of a step's tree: in its process group, in `pids`, or carrying
 * its cookie, which finds even processes that called `setsid` or were reparented after a double
 * fork. A process that exec'd with a scrubbed environment and left the group escapes this scan;
 * a cgroup or pid namespace catches those.
 */
export async function scanTree (match: TreeMatch): Promise<ProcEntry[]> {
  const entry = `${STEP_COOKIE_VAR}=${match.cookie}`
  const pids = await listPids()
  const found: ProcEntry[] = []
  for (let i = 0; i < pids.length; i += SCAN_BATCH) {
    const batch = await Promise.all(pids.slice(i, i + SCAN_BATCH).map(async (pid) => {
      if (pid === process.pid) return null
      const stat = await readStat(pid)
      if (stat === null || stat.state === 'Z' || stat.state === 'X') return null
      if (stat.pgrp === match.pgid || match.pids?.has(pid) === true) return stat
      return await hasEnvEntry(pid, entry) ? stat : null
    }))
    for (const stat of batch) if (stat !== null) found.push(stat)
  }
  return found
}

/**
 * Sends `signal` to one process (`pid` > 0) or one process group (`-pgid`); signal 0 only asks
 * whether the target exists (zombies included, until they are reaped). False when there is
 * nothing left to signal (ESRCH); other failures (EPERM) are false too, since the caller can do
 * no more about them than retry.
 */
export function sendSignal (target: number, signal: NodeJS.Signals | 0): boolean {
  // kill(0) and kill(-1) mean "my own group" and "everyone": never what a step's tree is.
  if (!Number.isInteger(target) || Math.abs(target) <= 1 || Math.abs(target) === process.pid) return false
  try {
    process.kill(target, signal)
    return true
  } catch {
    return false
  }
}
