/** Small shared pieces of the `mesh` suite: API views, percentiles, /proc readings, timing. */
import { readFile } from 'node:fs/promises'

/** The parts of `GET /v1/jobs` entries the suite reads. */
export interface JobView {
  id: string
  status: string
  origin: string
  attempt: number
  announcedAt: number
  attempts: { n: number, runner: string, awardedAt: number, startedAt?: number, finishedAt?: number, outcome?: string }[]
  result?: { status: string, by: string, attempt: number, exitCode: number | null }
}

/** The parts of `GET /v1/status` the suite reads. */
export interface StatusView {
  peers: { id: string }[]
  connected: string[]
  counts: Record<string, number>
  ledger: { size: number, stateHash: string }
}

export const TERMINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled', 'superseded', 'cached'])

export const terminalCount = (s: StatusView): number =>
  Object.entries(s.counts).reduce((sum, [status, n]) => sum + (TERMINAL.has(status) ? n : 0), 0)

/** Nearest-rank percentile (`p` in 0..1) of `xs`; NaN when empty. */
export function percentile (xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

export const round = (x: number, digits = 1): number => Number(x.toFixed(digits))

/** `p50 / p90 / p99 / max` of `xs` in ms, for log lines. */
export function spread (xs: readonly number[]): string {
  const f = (p: number): string => percentile(xs, p).toFixed(0)
  return `p50 ${f(0.5)}  p90 ${f(0.9)}  p99 ${f(0.99)}  max ${f(1)} ms (n=${xs.length})`
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))) }

/**
 * Resident set size of `pid` in MiB, from /proc/<pid>/status: `VmRSS` (everything resident, the
 * node binary's file pages included, which several nodes on one machine share) or `RssAnon`
 * (the memory this process alone costs).
 */
export async function rssMb (pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1]
  if (kb === undefined) throw new Error(`no ${field} in /proc/${pid}/status`)
  return Number(kb) / 1024
}

/**
 * CPU time (user + system, all threads) of `pid` in ms, from /proc/<pid>/stat fields 14 and 15.
 * Those count clock ticks of USER_HZ, which Linux fixes at 100 for user space on every arch we run.
 */
export async function cpuMs (pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`)
  return (utime + stime) * 10
}

/** CPU time (ms) summed over `pids`; a process that is gone counts 0. */
export async function cpuSum (pids: readonly number[]): Promise<number> {
  const each = await Promise.all(pids.map(async (pid) => await cpuMs(pid).catch(() => 0)))
  return each.reduce((a, b) => a + b, 0)
}
