/**
 * Idle cost of one node alone in its team: RSS at the end of the window, and CPU (user + system, all
 * threads) over the window in % of one core. The window is 60 s with `--idle`, else 10 s so the
 * default run stays short (a 10 s window is noisier: one 10 ms clock tick is 0.1%).
 */
import { removeDir, startNode, tempDir } from './mesh-proc.ts'
import { cpuMs, round, rssMb, sleep } from './mesh-stats.ts'

/**
 * Startup work is not idle cost: module loading and JIT, and V8's memory reducer, which runs two
 * mark-compact GCs about 8-9 s after start (~110 ms of CPU; see --trace-gc). The window starts after.
 */
const WARMUP_MS = 12_000

export async function runIdle (log: (line: string) => void): Promise<Record<string, number>> {
  const windowMs = process.argv.includes('--idle') ? 60_000 : 10_000
  log(`idle: one node alone, default slots, ${WARMUP_MS / 1000} s warm-up then a ${windowMs / 1000} s window${windowMs < 60_000 ? ' (pass --idle for the 60 s window)' : ''}`)
  const dir = await tempDir('idle')
  try {
    const node = await startNode(dir, [])
    try {
      await sleep(WARMUP_MS)
      const cpu0 = await cpuMs(node.pid)
      const t0 = performance.now()
      await sleep(windowMs)
      const cpu1 = await cpuMs(node.pid)
      const wall = performance.now() - t0
      const rss = await rssMb(node.pid)
      const anon = await rssMb(node.pid, 'RssAnon')
      log(`  ${(cpu1 - cpu0).toFixed(0)} ms of CPU in ${(wall / 1000).toFixed(1)} s of wall time; VmRSS ${rss.toFixed(1)} MiB, of which RssAnon ${anon.toFixed(1)} MiB`)
      return { idle_rss_mb: round(rss, 1), idle_rss_anon_mb: round(anon, 1), idle_cpu_pct: round((100 * (cpu1 - cpu0)) / wall, 2) }
    } finally {
      await node.kill()
    }
  } finally {
    await removeDir(dir)
  }
}
