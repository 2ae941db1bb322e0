/**
 * Suite `cli`: what a developer's machine pays for DevQ, measured on real devq-node processes.
 * `npm run bench -- cli [--json] [--idle-team-size N]`. Each figure comes from one measure
 * function (`parts` below): a new figure is one more entry, and a part that fails is logged and
 * left out, so the others still report. Targets are printed next to the figures; they are goals,
 * not assertions.
 */
import type { Figures } from './run.ts'
import { measureIdleTeam } from './cli-idle.ts'
import { measureHookOverhead } from './cli-hook.ts'
import { measureCommitToRunning } from './cli-commit.ts'

type Log = (line: string) => void

/** One measurement of the suite: a name for the log and the figures it returns. */
interface Part { name: string, measure: (log: Log) => Promise<Figures> }

interface Target { figure: string, ok: (v: number | boolean | string) => boolean, text: string }

const num = (v: number | boolean | string): number => (typeof v === 'number' ? v : NaN)

/** Run in this order: the idle figure first, while nothing else of the suite loads the cores. */
const parts: Part[] = [
  { name: 'idle_team', measure: measureIdleTeam },
  { name: 'hook', measure: async (log) => await measureHookOverhead({ log }) },
  { name: 'commit', measure: async (log) => await measureCommitToRunning({ log }) }
]

const targets: Target[] = [
  { figure: 'hook_overhead_ms', ok: (v) => num(v) <= 50, text: '<= 50 ms' },
  { figure: 'commit_to_running_p50_ms', ok: (v) => num(v) <= 150, text: '<= 150 ms' },
  { figure: 'idle_team_cpu_pct', ok: (v) => num(v) <= 1, text: '<= 1% of a core' },
  { figure: 'idle_team_rss_mb', ok: (v) => num(v) <= 120, text: '<= 120 MB' }
]

async function runPart (log: Log, part: Part): Promise<Figures> {
  const t0 = performance.now()
  try {
    const figures = await part.measure(log)
    log(`  (${part.name} took ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    return figures
  } catch (err) {
    log(`  ${part.name} FAILED after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${(err as Error).message}`)
    return { [`${part.name}_error`]: (err as Error).message.slice(0, 200) }
  }
}

export async function run (log: Log): Promise<Figures> {
  const figures: Figures = {}
  for (const part of parts) Object.assign(figures, await runPart(log, part))
  log('targets:')
  for (const t of targets) {
    const v = figures[t.figure]
    const verdict = v === undefined ? 'NOT MEASURED' : t.ok(v) ? 'met' : 'MISSED'
    log(`  ${t.figure.padEnd(28)} ${String(v ?? '-').padStart(8)}   target ${t.text.padEnd(16)} ${verdict}`)
  }
  return figures
}
