/**
 * Suite `runner`: real builds. B6 (one incremental source fetch against `git fetch`), B7 (a one-file
 * change: local incremental make against the grid, commit to artifact on the origin) and B8 (the
 * same tree again, cached). `npm run bench -- runner [--json]`. Targets are printed next to the
 * figures; they are goals, not assertions.
 */
import type { Figures } from './run.ts'
import { runB6 } from './runner-b6.ts'
import { runGrid } from './runner-grid.ts'

type Log = (line: string) => void

export async function run (log: Log): Promise<Figures> {
  const b6 = await runB6(log)
  const grid = await runGrid(log)
  const figures: Figures = { ...b6, ...grid }
  const checks: [string, boolean][] = [
    [`b6 bytes <= 1.3x native (${b6.b6_incremental_bytes} vs ${b6.b6_native_git_bytes})`, b6.b6_incremental_bytes! <= 1.3 * b6.b6_native_git_bytes!],
    [`b6 fetch <= 150 ms (${b6.b6_incremental_ms})`, b6.b6_incremental_ms! <= 150],
    [`b7 grid <= local + 0.3 s (${grid.b7_grid_commit_to_artifact_s} vs ${grid.b7_local_make_s})`, grid.b7_grid_commit_to_artifact_s! <= grid.b7_local_make_s! + 0.3],
    [`b8 cached p50 <= 100 ms (${grid.b8_cached_p50_ms})`, grid.b8_cached_p50_ms! <= 100]
  ]
  for (const [text, ok] of checks) log(`  target ${ok ? 'met   ' : 'MISSED'} ${text}`)
  return figures
}
