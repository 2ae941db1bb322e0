/** The idle reporter against a clock and timer the test moves by hand. */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import { startIdleReporter } from '../src/main/idle-reporter.ts'

function rig () {
  let now = 0
  let idle = 0
  let tick: (() => void) | undefined
  let cancelled = false
  const reports: { at: number, idle: number }[] = []
  const reporter = startIdleReporter({
    idleSeconds: () => idle,
    report: async (idleSeconds) => { reports.push({ at: now, idle: idleSeconds }) },
    nowMs: () => now,
    every: (_ms, fn) => { tick = fn; return () => { cancelled = true } },
    logger: silentLogger
  }, { sampleMs: 5_000, reportMs: 60_000 })
  /** Moves the clock in 5 s samples to `to` ms, the system idle `idleAt(t)` seconds at each. */
  const run = async (to: number, idleAt: (t: number) => number): Promise<void> => {
    while (now < to) {
      now += 5_000
      idle = idleAt(now)
      tick?.()
      await Promise.resolve()
      await Promise.resolve()
    }
  }
  return { reporter, reports, run, cancelled: () => cancelled }
}

describe('idle reporter', () => {
  it('reports at once, then at least every 60 s while the user is away', async () => {
    const r = rig()
    await r.run(180_000, (t) => t / 1000)
    expect(r.reports.map((x) => x.at)).toEqual([0, 60_000, 120_000, 180_000])
    expect(r.reports.at(-1)?.idle).toBe(180)
  })

  it('reports at once when the user comes back (the idle time drops)', async () => {
    const r = rig()
    await r.run(30_000, (t) => t / 1000)
    await r.run(35_000, () => 0)
    expect(r.reports.map((x) => [x.at, x.idle])).toEqual([[0, 0], [35_000, 0]])
  })

  it('stops on quit: no more reports, the timer cancelled', async () => {
    const r = rig()
    r.reporter.stop()
    r.reporter.stop()
    await r.run(120_000, () => 0)
    expect(r.reports).toHaveLength(1)
    expect(r.cancelled()).toBe(true)
  })
})
