/**
 * A real 100,000-line build log on the dashboard's job page, in Chromium: streamed from the runner
 * over the event stream, it opens at its end, stays virtualized (a few dozen rows in the page, not
 * every line) and scrolls to its first line without a long task over 200 ms.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitMeshed, type NodeProc } from '../../../packages/node/test/harness.ts'
import { gridFixture } from '../../../packages/node/test/grid-fixture.ts'
import { startRun, waitRun } from '../../../packages/node/test/builds.ts'
import { browserAvailable, launchBrowser } from './browser.ts'
import { signIn } from './page-tools.ts'

const LINES = 100_000
const NOISY = `version: 1
jobs:
  noisy:
    steps:
      - name: print
        run: "seq 1 ${LINES} | sed 's/^/\\x1b[36mline\\x1b[0m /'"
`

const fx = gridFixture()

/** The texts of the log rows wholly inside the list's visible area. */
async function shownTexts (page: Page): Promise<string[]> {
  return await page.evaluate(() => {
    const list = document.querySelector('.log-scroll')
    if (list === null) return []
    const box = list.getBoundingClientRect()
    const shown = [...document.querySelectorAll<HTMLElement>('.log-row')].filter((r) => {
      const b = r.getBoundingClientRect()
      return b.top >= box.top - 1 && b.bottom <= box.bottom + 1
    })
    return shown.map((r) => r.querySelector('.log-text')?.textContent ?? '')
  })
}

describe.runIf(browserAvailable())('a 100,000-line log on the job page', () => {
  let browser: Browser
  beforeAll(async () => { browser = await launchBrowser() })
  afterAll(async () => { await browser?.close() })

  it('opens at its end, draws only the rows in view and scrolls to the top without a long task', async () => {
    const cluster = await fx.grid(2, (i) => ['--slots', i === 0 ? '0' : '1'])
    const [a] = cluster.nodes as [NodeProc]
    await waitMeshed(cluster.nodes)
    const run = await startRun(a, await fx.repo(NOISY, 'noisy'))
    const job = run.jobs[0]!.id
    expect((await waitRun(a, run.run)).get('noisy')!.status).toBe('succeeded')

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await signIn(page, a)
    await page.evaluate((id) => { location.hash = `#/jobs/${id}` }, job)
    await page.getByRole('status').filter({ hasText: /ended/ }).waitFor({ timeout: 120_000 })
    // At its end: the last printed line in view, and nothing below the view (the runner's closing notes last).
    await expect.poll(async () => await shownTexts(page), { timeout: 30_000 }).toContain(`line ${LINES}`)
    expect(await page.evaluate(() => { const l = document.querySelector('.log-scroll')!; return l.scrollHeight - l.clientHeight - l.scrollTop })).toBeLessThanOrEqual(2)
    expect((await shownTexts(page)).at(-1)).toMatch(/^\[devq\] /)
    const rows = await page.locator('.log-row').count()
    expect(rows, 'rows in the page').toBeGreaterThan(10)
    expect(rows, 'rows in the page').toBeLessThan(300)
    // The page itself does not grow with the log: the list scrolls inside its own box.
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThan(4000)

    await page.evaluate(() => {
      const w = window as unknown as { longest: number }
      w.longest = 0
      new PerformanceObserver((l) => { for (const e of l.getEntries()) w.longest = Math.max(w.longest, e.duration) }).observe({ type: 'longtask' })
    })
    const log = page.getByRole('log', { name: 'Log lines' })
    // Up to three passes to the top and back, judged by the best: a long task of the page's own
    // recurs in each, one from a machine busy with other tests does not.
    const passes: number[] = []
    for (let pass = 0; pass < 3 && !(Math.min(...passes) < 200); pass++) {
      await page.evaluate(() => { (window as unknown as { longest: number }).longest = 0 })
      await log.focus()
      for (let i = 0; i < 20; i++) await page.keyboard.press('PageUp')
      await page.keyboard.press('Home')
      await expect.poll(async () => await page.locator('.log-row[data-line="5"] .log-text').textContent({ timeout: 30_000 })).toBe('line 1')
      await expect.poll(async () => await page.evaluate(() => document.querySelector('.log-scroll')!.scrollTop)).toBe(0)
      await page.keyboard.press('End')
      await expect.poll(async () => await shownTexts(page), { timeout: 30_000 }).toContain(`line ${LINES}`)
      passes.push(Math.round(await page.evaluate(() => (window as unknown as { longest: number }).longest)))
    }
    expect(Math.min(...passes), `longest task per pass, ms: ${passes.join(', ')}`).toBeLessThan(200)
    await context.close()
  }, 240_000)
})
