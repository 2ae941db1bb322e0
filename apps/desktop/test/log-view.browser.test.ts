/**
 * The log view in real Chromium: the test page (test/pages/log.html) built with Vite and served
 * from loopback, a 100,000-line log opened, scrolled, folded, searched and followed as a reader
 * would. Long tasks are recorded from before the page's first script.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserAvailable, launchBrowser } from './browser.ts'

declare global {
  interface Window { longTasks: { start: number, duration: number }[] }
}

const APP = fileURLToPath(new URL('..', import.meta.url))
const PAGES = join(APP, 'test', 'pages')
const OUTPUT = join(APP, 'test-output')
const N = 100_000
const MIN_PAGE_LINES = 200
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' }

/** Serves `dir` read-only on 127.0.0.1 at a free port. */
async function serve (dir: string): Promise<{ server: Server, base: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
    const file = normalize(join(dir, path))
    if (!file.startsWith(dir + sep)) {
      res.writeHead(403).end()
      return
    }
    readFile(file).then((body) => {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body)
    }, () => { res.writeHead(404).end() })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
}

/** Whether the row of `line` is in the DOM and wholly inside the list's visible area. */
async function shown (page: Page, line: number): Promise<boolean> {
  return await page.evaluate((n) => {
    const row = document.querySelector(`.log-row[data-line="${n}"]`)
    const list = document.querySelector('.log-scroll')!
    if (row === null) return false
    const r = row.getBoundingClientRect()
    const top = list.getBoundingClientRect().top + list.clientTop
    return r.top >= top - 1 && r.bottom <= top + list.clientHeight + 1
  }, line)
}

const waitShown = async (page: Page, line: number): Promise<void> => {
  await page.waitForFunction((n) => {
    const row = document.querySelector(`.log-row[data-line="${n}"]`)
    const list = document.querySelector('.log-scroll')!
    if (row === null) return false
    const r = row.getBoundingClientRect()
    const top = list.getBoundingClientRect().top + list.clientTop
    return r.top >= top - 1 && r.bottom <= top + list.clientHeight + 1
  }, line, { timeout: 30_000 })
}

const now = async (page: Page): Promise<number> => await page.evaluate(() => performance.now())
const longestSince = async (page: Page, t: number): Promise<number> =>
  await page.evaluate((from) => Math.max(0, ...window.longTasks.filter((e) => e.start + e.duration >= from).map((e) => e.duration)), t)
const rowsInDom = async (page: Page): Promise<number> => await page.evaluate(() => document.querySelectorAll('.log-row').length)

/** Moves the list's scroll offset to `to` (px or 'end') over `frames` frames; answers each frame's length in ms. */
async function glide (page: Page, to: number | 'end', frames: number): Promise<number[]> {
  return await page.evaluate(async ([target, count]) => {
    const list = document.querySelector('.log-scroll')!
    const from = list.scrollTop
    const goal = target === 'end' ? list.scrollHeight - list.clientHeight : target as number
    const lengths: number[] = []
    let last = performance.now()
    for (let k = 1; k <= (count as number); k++) {
      list.scrollTop = from + (goal - from) * (k / (count as number))
      await new Promise((resolve) => requestAnimationFrame(resolve))
      const t = performance.now()
      lengths.push(t - last)
      last = t
    }
    return lengths
  }, [to, frames] as const)
}

const run = browserAvailable()

describe.skipIf(!run)('log view in Chromium', () => {
  let out = ''
  let server: Server | undefined
  let base = ''
  let browser: Browser | undefined
  const figures: Record<string, number> = {}

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'devq-log-page-'))
    // Vite builds for the NODE_ENV it finds, and vitest sets `test`: the figures are of a production build.
    const nodeEnv = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      await build({
        root: PAGES,
        base: './',
        configFile: false,
        logLevel: 'warn',
        plugins: [react()],
        build: { outDir: out, emptyOutDir: true, target: 'es2023', rolldownOptions: { input: join(PAGES, 'log.html') } }
      })
    } finally {
      process.env.NODE_ENV = nodeEnv
    }
    ;({ server, base } = await serve(out))
    browser = await launchBrowser()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => { if (server === undefined) resolve(undefined); else server.close(resolve) })
    if (out !== '') await rm(out, { recursive: true, force: true })
    if (Object.keys(figures).length > 0) process.stdout.write(`log view figures: ${JSON.stringify(figures)}\n`)
  })

  /** A fresh page with the log of `lines` lines opened; long tasks recorded from the start. */
  async function open (lines = N, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, colorScheme })
    const page = await context.newPage()
    await page.addInitScript(() => {
      window.longTasks = []
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.longTasks.push({ start: e.startTime, duration: e.duration })
      }).observe({ type: 'longtask', buffered: true })
    })
    const failed = new Promise<never>((_resolve, reject) => { page.on('pageerror', reject) })
    failed.catch(() => {})
    await page.goto(`${base}log.html?lines=${lines}`)
    await Promise.race([page.waitForFunction(() => window.devqLog?.openMs !== undefined, undefined, { timeout: 60_000 }), failed])
    return page
  }

  it('opens a 100,000-line log at its end with a few hundred rows in the DOM, and scrolls to the top and back without long tasks', async () => {
    const page = await open()
    figures.open_100k_ms = Math.round(await page.evaluate(() => window.devqLog.openMs!))
    figures.open_longest_task_ms = Math.round(await longestSince(page, await page.evaluate(() => window.devqLog.openStart!)))
    expect(await shown(page, N)).toBe(true)
    expect(await rowsInDom(page)).toBeLessThan(300)
    await mkdir(OUTPUT, { recursive: true })
    await page.screenshot({ path: join(OUTPUT, 'log-100k.png') })

    // Up to three passes, judged by the best: a long task of the view's own recurs in each, while
    // one from a machine busy with other tests (CI runs them side by side) does not.
    const passes: number[] = []
    for (let pass = 0; pass < 3 && !(Math.min(...passes) < 200); pass++) {
      const t = await now(page)
      const up = await glide(page, 0, 60)
      await waitShown(page, 1)
      const down = await glide(page, 'end', 60)
      await waitShown(page, N)
      await page.locator('.log-scroll').focus()
      await page.keyboard.press('Home')
      await waitShown(page, 1)
      await page.keyboard.press('End')
      await waitShown(page, N)
      passes.push(Math.round(await longestSince(page, t)))
      figures.scroll_longest_frame_ms = Math.round(Math.max(...up, ...down))
    }
    figures.scroll_longest_task_ms = Math.min(...passes)
    expect(figures.scroll_longest_task_ms, `longest task per pass, ms: ${passes.join(', ')}`).toBeLessThan(200)
    expect(await rowsInDom(page)).toBeLessThan(300)
    await page.context().close()
  }, 120_000)

  it('moves by pages with PageUp/PageDown and labels the list and its status', async () => {
    const page = await open()
    const list = page.locator('.log-scroll')
    expect(await list.getAttribute('role')).toBe('log')
    expect(await list.getAttribute('aria-live')).toBe('off')
    await list.focus()
    const top = async (): Promise<number> => await list.evaluate((el) => el.scrollTop)
    const end = await top()
    await page.keyboard.press('PageUp')
    await page.waitForFunction((t) => document.querySelector('.log-scroll')!.scrollTop < t, end)
    const page1 = await top()
    expect(end - page1).toBeGreaterThan(300)
    await page.keyboard.press('PageDown')
    await page.waitForFunction((t) => document.querySelector('.log-scroll')!.scrollTop > t, page1)
    expect(await page.getByRole('status').textContent()).toBe('Log streaming')
    await page.evaluate(() => { window.devqLog.end() })
    await page.waitForFunction(() => document.querySelector('[role="status"]')!.textContent!.startsWith('Log ended'))
    expect(await page.getByRole('status').textContent()).toBe('Log ended: step test failed: exit code 1 after 12.4 s')
    await page.getByRole('button', { name: 'Download raw' }).click()
    expect(await page.evaluate(() => window.devqLog.downloads())).toBe(1)
    await page.context().close()
  }, 120_000)

  it('draws ANSI colours from the palette in light and dark, and 24-bit colours as given', async () => {
    for (const [scheme, green] of [['light', 'rgb(17, 99, 41)'], ['dark', 'rgb(63, 185, 80)']] as const) {
      const page = await open(2_000, scheme)
      // The middle of the log: build lines, which carry palette, 256-colour and 24-bit colours.
      await page.locator('.log-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight / 2 })
      await page.waitForFunction(() => document.querySelector('.log-row[data-line="1000"]') !== null)
      const colours = await page.evaluate(() => {
        const palette = document.querySelector('.log-text .ansi-fg2')!
        const styled = [...document.querySelectorAll<HTMLElement>('.log-text span')].find((s) => s.style.color !== '')!
        return { green: getComputedStyle(palette).color, styled: getComputedStyle(styled).color, text: getComputedStyle(document.querySelector('.log-text')!).color }
      })
      expect(colours.green).toBe(green)
      expect(colours.text).not.toBe(green)
      expect(colours.styled).toMatch(/^rgb\(120, 80, 200\)$|^rgb\(255, 135, 0\)$/)
      await page.context().close()
    }
  }, 120_000)

  it('folds and unfolds groups by click and keyboard, headers showing name and line count', async () => {
    const page = await open()
    const facts = await page.evaluate(() => window.devqLog.facts)
    const resolving = facts.groups['Resolving dependencies']!
    await page.locator('.log-scroll').focus()
    await page.keyboard.press('Home')
    await waitShown(page, 1)
    // `::group::` starts folded: its 21 lines are hidden, the line after it follows its header.
    const head = page.locator(`.log-row[data-line="${resolving}"] button`)
    expect(await head.textContent()).toBe('▸Resolving dependencies21 lines')
    expect(await head.getAttribute('aria-expanded')).toBe('false')
    expect(await shown(page, resolving + 1)).toBe(false)
    expect(await shown(page, resolving + 22)).toBe(true)
    await head.click()
    await waitShown(page, resolving + 1)
    expect(await head.getAttribute('aria-expanded')).toBe('true')
    await head.focus()
    await page.keyboard.press('Enter')
    await page.waitForFunction((n) => document.querySelector(`.log-row[data-line="${n}"]`) === null, resolving + 1)
    await page.keyboard.press('Space')
    await waitShown(page, resolving + 1)
    // A step folds as a whole; the failed step and the build step start open, the `---` group folded.
    const install = page.locator(`.log-row[data-line="${facts.groups['step: install']}"] button`)
    await install.click()
    await waitShown(page, facts.groups['step: build']!)
    expect(await install.getAttribute('aria-expanded')).toBe('false')
    await page.context().close()
  }, 120_000)

  it('searches 100,000 lines without blocking, counts and steps through matches, and opens the groups they are in', async () => {
    const page = await open()
    const facts = await page.evaluate(() => window.devqLog.facts)
    const box = page.getByRole('searchbox', { name: 'Search the log' })
    const count = page.locator('.log-count')
    const total = facts.needleLines.length
    const t = await now(page)
    await box.fill('needle')
    await page.waitForFunction((want) => document.querySelector('.log-count')!.textContent === want, `${total} matches`, { timeout: 30_000 })
    figures.search_longest_task_ms = Math.round(await longestSince(page, t))
    expect(figures.search_longest_task_ms).toBeLessThan(200)
    await box.press('Enter')
    expect(await count.textContent()).toBe(`1 of ${total}`)
    await waitShown(page, facts.needleLines[0]!)
    expect(await page.locator(`.log-row[data-line="${facts.needleLines[0]}"] .log-mark-current`).textContent()).toBe('Needle')
    await box.press('Enter')
    expect(await count.textContent()).toBe(`2 of ${total}`)
    await waitShown(page, facts.needleLines[1]!)
    await box.press('Shift+Enter')
    await box.press('Shift+Enter')
    expect(await count.textContent()).toBe(`${total} of ${total}`)
    await waitShown(page, facts.needleLines[total - 1]!)
    // Every match is drawn marked where it is shown.
    expect(await page.locator('.log-mark').count()).toBeGreaterThan(0)
    // Group defaults, found by name: the `---` group starts folded, the failed step open.
    const headOf = async (query: string, line: number): Promise<string | null> => {
      await box.fill(query)
      await page.waitForFunction(() => /^1 match$/.test(document.querySelector('.log-count')!.textContent!), undefined, { timeout: 30_000 })
      await box.press('Enter')
      await waitShown(page, line)
      return await page.locator(`.log-row[data-line="${line}"] button`).getAttribute('aria-expanded')
    }
    expect(await headOf('--- Test environment', facts.groups['Test environment']!)).toBe('false')
    expect(await headOf('step: test', facts.groups['step: test']!)).toBe('true')
    await box.fill('no such text anywhere')
    await page.waitForFunction(() => document.querySelector('.log-count')!.textContent === 'No matches', undefined, { timeout: 30_000 })
    await page.context().close()
  }, 120_000)

  it('jumps to the first error from the header bar and highlights it', async () => {
    const page = await open()
    const { errorLine } = await page.evaluate(() => window.devqLog.facts)
    await page.locator('.log-scroll').focus()
    await page.keyboard.press('Home')
    await waitShown(page, 1)
    await page.getByRole('button', { name: `First error: line ${errorLine.toLocaleString('en')}` }).click()
    await waitShown(page, errorLine)
    const cls = await page.locator(`.log-row[data-line="${errorLine}"]`).getAttribute('class')
    expect(cls).toContain('log-row-target')
    expect(cls).toContain('log-row-error')
    expect(await page.locator(`.log-row[data-line="${errorLine}"] .log-text`).textContent()).toBe('error: expected status 200, got 500 (test/api.test.ts:41)')
    await page.context().close()
  }, 120_000)

  it('follows appended lines at the bottom, stops when the reader scrolls up, and jumps back to the end', async () => {
    const page = await open()
    const rendersBefore = await page.evaluate(() => window.devqLog.renders())
    let last = await page.evaluate(() => window.devqLog.append(25))
    await waitShown(page, last)
    expect(await page.evaluate(() => window.devqLog.renders())).toBe(rendersBefore + 1)
    expect(await page.locator(`.log-row[data-line="${last}"] .log-text`).textContent()).toBe(`live appended line ${last}`)
    for (let k = 0; k < 5; k++) {
      last = await page.evaluate(() => window.devqLog.append(3))
      await waitShown(page, last)
    }
    await page.mouse.move(600, 400)
    await page.mouse.wheel(0, -2_000)
    const jump = page.getByRole('button', { name: 'Jump to end' })
    await jump.waitFor()
    const before = await page.locator('.log-scroll').evaluate((el) => el.scrollTop)
    last = await page.evaluate(() => window.devqLog.append(40))
    await page.waitForFunction((n) => document.querySelector('.log-lines')!.textContent === `${n.toLocaleString('en')} lines`, last)
    expect(await shown(page, last)).toBe(false)
    expect(await page.locator('.log-scroll').evaluate((el) => el.scrollTop)).toBe(before)
    await jump.click()
    await waitShown(page, last)
    await jump.waitFor({ state: 'detached' })
    last = await page.evaluate(() => window.devqLog.append(2))
    await waitShown(page, last)
    await page.context().close()
  }, 120_000)

  it('measures the open of a 100,000-line log for the bench', async () => {
    const page = await open(MIN_PAGE_LINES)
    const m = await page.evaluate(async (n) => await window.devqLog.measureOpen(n), N)
    figures.bench_open_100k_ms = Math.round(m.openMs)
    figures.bench_feed_100k_ms = Math.round(m.feedMs)
    figures.bench_longest_task_ms = Math.round(m.longestTaskMs)
    expect(m.lines).toBe(N)
    expect(m.domRows).toBeGreaterThan(10)
    expect(m.domRows).toBeLessThan(300)
    expect(m.openMs).toBeGreaterThan(m.feedMs)
    expect(m.openMs).toBeLessThan(10_000)
    await page.context().close()
  }, 120_000)
})
