/**
 * Suite `mesh`: real devq-node processes on loopback. Idle cost of one node, submit-to-start latency
 * (B1), burst throughput with exactly-once checks (B2), and event fan-out to 20 peers (B10).
 * `npm run bench -- mesh [--json] [--idle]`; --idle measures idle cost over 60 s instead of 10 s.
 * Targets are printed next to the figures; they are goals, not assertions.
 */
import type { Figures } from './run.ts'
import { runB1 } from './mesh-b1.ts'
import { runB2 } from './mesh-b2.ts'
import { runB10 } from './mesh-b10.ts'
import { runIdle } from './mesh-idle.ts'

type Log = (line: string) => void

interface Target { figure: string, ok: (v: number | boolean | string) => boolean, text: string }

const num = (v: number | boolean | string): number => (typeof v === 'number' ? v : NaN)

const targets: Target[] = [
  { figure: 'b1_submit_to_start_p50_ms', ok: (v) => num(v) <= 100, text: '<= 100 ms' },
  { figure: 'b1_submit_to_start_p99_ms', ok: (v) => num(v) <= 300, text: '<= 300 ms' },
  { figure: 'b2_burst_jobs_per_s', ok: (v) => num(v) >= 200, text: '>= 200 jobs/s' },
  { figure: 'b2_lost', ok: (v) => v === 0, text: '0' },
  { figure: 'b2_double', ok: (v) => v === 0, text: '0' },
  { figure: 'hash_agree', ok: (v) => v === true, text: 'true' },
  { figure: 'b10_fanout_20_peers_p99_ms', ok: (v) => num(v) <= 100, text: '<= 100 ms' },
  // Reported instead of the 20-peer figure when 20 nodes do not start or mesh here (see mesh-b10.ts).
  { figure: 'b10_fanout_11_peers_p99_ms', ok: (v) => num(v) <= 100, text: '<= 100 ms (20)' },
  { figure: 'idle_rss_mb', ok: (v) => num(v) <= 120, text: '<= 120 MB' },
  { figure: 'idle_cpu_pct', ok: (v) => num(v) <= 1, text: '<= 1% of a core' }
]

/** Runs one part; a part that fails is logged and its figures are left out, so the others still report. */
async function part (log: Log, name: string, fn: (log: Log) => Promise<Figures>): Promise<Figures> {
  const t0 = performance.now()
  try {
    const figures = await fn(log)
    log(`  (${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    return figures
  } catch (err) {
    log(`  ${name} FAILED after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${(err as Error).message}`)
    return { [`${name}_error`]: (err as Error).message.slice(0, 200) }
  }
}

export async function run (log: Log): Promise<Figures> {
  // Idle first, while nothing else of the suite competes for the two cores.
  const figures: Figures = {
    ...await part(log, 'idle', runIdle),
    ...await part(log, 'b1', runB1),
    ...await part(log, 'b2', runB2),
    ...await part(log, 'b10', runB10)
  }
  log('targets:')
  for (const t of targets) {
    const v = figures[t.figure]
    if (v === undefined && t.figure === 'b10_fanout_11_peers_p99_ms') continue
    const verdict = v === undefined ? 'NOT MEASURED' : t.ok(v) ? 'met' : 'MISSED'
    log(`  ${t.figure.padEnd(28)} ${String(v ?? '-').padStart(8)}   target ${t.text.padEnd(16)} ${verdict}`)
  }
  return figures
}
