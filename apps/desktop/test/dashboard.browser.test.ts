/**
 * The dashboard in real Chromium on a real grid: three devq-node processes, a real repository with
 * the DevQ hook, real commits built by real runners. The browser signs in with `devq open` and
 * everything after comes through the page: what it shows and the buttons a user clicks.
 */
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, waitMeshed, type NodeProc } from '../../../packages/node/test/harness.ts'
import { gridFixture } from '../../../packages/node/test/grid-fixture.ts'
import { commitAll, createCProject } from '../../../packages/node/test/fixtures/c-project.ts'
import { peerName } from '../src/renderer/app/format.ts'
import { browserAvailable, launchBrowser } from './browser.ts'
import { recordStatuses, screenshot, seriousViolations, signIn, statusesOf } from './page-tools.ts'

/** The sample C project's build, a job that streams its output, and one that runs until cancelled. */
const PIPELINE = `version: 1
jobs:
  build:
    steps:
      - name: compile
        run: |
          for i in $(seq 1 12); do printf '\\033[32mprogress %s\\033[0m\\n' "$i"; sleep 0.25; done
          make
      - name: package
        run: make dist
    artifacts:
      - name: hello
        kind: binary
        paths: [build/hello]
      - name: hello-tarball
        kind: package
        paths: ["build/hello-*.tar.gz"]
  test:
    needs: build
    steps:
      - name: check
        run: echo all good
  soak:
    steps:
      - name: soak
        run: |
          echo soaking
          sleep 600
`

const fx = gridFixture()
const run = browserAvailable()

/** The runner of a job's latest attempt, as the ledger has it. */
async function runnerOf (node: NodeProc, job: string): Promise<string> {
  const { attempts } = await node.get<{ attempts: { runner: string }[] }>(`/v1/jobs/${job}`)
  return attempts.at(-1)!.runner
}

/** The text of a peer's state on its grid tile. */
async function tileState (grid: Page, peer: string): Promise<string | null> {
  return await grid.locator(`[data-peer="${peer}"] > .tile-head .status`).textContent()
}

/** Clicks a view's tab in the navigation bar. */
async function nav (page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'views' }).getByRole('link', { name, exact: true }).click()
}

/** Moves to another view in the same page, as a link does (the status record stays). */
async function go (page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => { location.hash = h }, hash)
}

async function expectAccessible (page: Page, view: string): Promise<void> {
  expect(await seriousViolations(page), view).toEqual([])
}

describe.runIf(run)('the dashboard in Chromium on a grid of three peers', () => {
  let browser: Browser
  beforeAll(async () => { browser = await launchBrowser() })
  afterAll(async () => { await browser?.close() })

  it('shows a commit from queued to succeeded with its live log and artifacts; cancel and retry work from the page; a killed runner turns offline and its job moves', async () => {
    // A announces and shows the dashboard; B and C lend nothing until the run is on screen.
    const cluster = await fx.grid(3, (i) => ['--slots', i === 0 ? '0' : '1', '--lease-ms', '3000', ...(i === 0 ? [] : ['--share-mode', 'off'])])
    const [a, b, c] = cluster.nodes as [NodeProc, NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    const repo = await fx.tempDir('repo')
    await createCProject(repo, 3, PIPELINE)
    await cli(['hook', 'install', '--data-dir', a.dataDir], undefined, { cwd: repo })

    // One browser, two tabs: the grid stays open in one while the other follows the commit.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await recordStatuses(page)
    const origin = await signIn(page, a)
    await expect.poll(async () => await page.locator('.tile').count()).toBe(3)
    await expect.poll(async () => await page.locator('.tile', { hasText: 'this peer' }).getAttribute('data-peer')).toBe(a.peerId)
    await expectAccessible(page, 'grid')
    const grid = await context.newPage()
    await recordStatuses(grid)
    await grid.goto(`${origin}/#/grid`)
    await expect.poll(async () => await grid.locator('.tile').count()).toBe(3)

    await writeFile(join(repo, 'NOTES'), 'louder\n')
    const commit = await commitAll(repo, 'Say hello louder')
    await nav(page, 'Runs')
    const row = page.locator('tr[data-run]', { hasText: 'Say hello louder' })
    await row.waitFor()
    expect(await row.textContent()).toContain(commit.slice(0, 8))
    expect(await row.textContent()).toContain('Dev')
    await expectAccessible(page, 'runs')
    await row.getByRole('link', { name: 'Say hello louder' }).click()
    const jobRow = (name: string) => page.locator('tr[data-job]', { has: page.getByRole('link', { name, exact: true }) })
    await expect.poll(async () => await jobRow('build').locator('.status').textContent()).toBe('queued')
    const [build, test, soak] = await Promise.all(['build', 'test', 'soak'].map(async (n) => (await jobRow(n).getAttribute('data-job'))!)) as [string, string, string]
    await expectAccessible(page, 'run')
    await nav(page, 'Queue')
    await expect.poll(async () => await page.locator('tbody tr').count()).toBe(2)
    await expectAccessible(page, 'queue')

    // Lending starts: the build runs on B or C, its log streams, then it succeeds.
    await Promise.all([b, c].map(async (n) => await n.post('/v1/share', { mode: 'dedicated' })))
    await go(page, `#/jobs/${build}`)
    await page.getByRole('heading', { name: /build/ }).waitFor()
    await page.getByText('progress 3', { exact: true }).waitFor()
    expect(await page.locator('h1[data-job] .status').textContent()).toBe('running')
    const green = await page.getByText('progress 3', { exact: true }).evaluate((el) => getComputedStyle(el).color)
    expect(green).not.toBe(await page.locator('h1').evaluate((el) => getComputedStyle(el).color))
    await screenshot(page, 'job-running')
    await expect.poll(async () => await page.locator('h1[data-job] .status').textContent(), { timeout: 120_000 }).toBe('succeeded')
    await page.getByRole('list', { name: 'steps' }).getByText('compile').waitFor()
    await expect.poll(async () => await page.getByRole('list', { name: 'steps' }).locator('.status-succeeded').count()).toBe(2)
    await expectAccessible(page, 'job')
    await screenshot(page, 'job')
    // The grid drew the build's runner busy while it ran, then idle again.
    const builder = await runnerOf(a, build)
    await expect.poll(async () => await tileState(grid, builder), { timeout: 60_000 }).toBe('idle')
    const drawnStates = await statusesOf(grid, builder)
    expect(drawnStates.indexOf('busy'), drawnStates.join(' -> ')).toBeGreaterThanOrEqual(0)
    expect(drawnStates.lastIndexOf('idle'), drawnStates.join(' -> ')).toBeGreaterThan(drawnStates.indexOf('busy'))

    // The binary downloads through the page with the digest it lists.
    const artifact = page.locator('tr[data-digest]', { hasText: 'hello-tarball' })
    await artifact.waitFor()
    const digest = (await artifact.getAttribute('data-digest'))!
    const [download] = await Promise.all([page.waitForEvent('download'), artifact.getByRole('button', { name: /download/i }).click()])
    const bytes = await readFile((await download.path())!)
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(digest)
    expect(download.suggestedFilename()).toMatch(/^hello-1\.0\.tar\.gz$|^hello-tarball/)

    // The run's page drew each job through its states; test waited for build.
    await go(page, `#/runs/${(await a.get<{ run: string }>(`/v1/jobs/${build}`)).run}`)
    await expect.poll(async () => await jobRow('test').locator('.status').textContent(), { timeout: 60_000 }).toBe('succeeded')
    const drawn = await statusesOf(page, build)
    expect(drawn.filter((s) => ['queued', 'running', 'succeeded'].includes(s)), drawn.join(' -> ')).toEqual(['queued', 'running', 'succeeded'])
    expect(await statusesOf(page, test), 'test waits for build').toEqual(expect.arrayContaining(['waiting', 'succeeded']))
    await screenshot(page, 'run')

    // The soak job: cancel it, then retry it.
    await go(page, `#/jobs/${soak}`)
    await expect.poll(async () => await page.locator('h1[data-job] .status').textContent(), { timeout: 60_000 }).toBe('running')
    await page.getByText('soaking', { exact: true }).waitFor()
    await page.getByRole('button', { name: 'Cancel' }).click()
    await expect.poll(async () => await page.locator('h1[data-job] .status').textContent(), { timeout: 60_000 }).toBe('cancelled')
    await page.getByRole('button', { name: 'Retry' }).click()
    await expect.poll(async () => await page.locator('h1[data-job] .status').textContent(), { timeout: 60_000 }).toBe('running')

    // Its runner dies without a word: the grid shows it offline and the job runs on the other peer.
    const soaker = await runnerOf(a, soak)
    const other = [b, c].find((n) => n.peerId !== soaker)!
    await expect.poll(async () => await tileState(grid, soaker), { timeout: 30_000 }).toBe('busy')
    await [b, c].find((n) => n.peerId === soaker)!.kill()
    await expect.poll(async () => await tileState(grid, soaker), { timeout: 60_000 }).toBe('offline')
    await expect.poll(async () => await tileState(grid, other.peerId), { timeout: 60_000 }).toBe('busy')
    await expect.poll(async () => await grid.locator(`[data-peer="${other.peerId}"] .current`).textContent(), { timeout: 30_000 }).toContain('soak')
    await screenshot(grid, 'grid')
    const attempts = page.getByRole('table', { name: 'attempts' })
    await expect.poll(async () => await attempts.locator('tbody tr').last().textContent(), { timeout: 60_000 }).toContain(peerName(other.peerId))
    expect(await page.locator('h1[data-job] .status').textContent()).toBe('running')
    for (const view of ['History', 'Settings']) {
      await nav(page, view)
      await page.getByRole('heading', { name: view }).waitFor()
      await expectAccessible(page, view)
    }
    await page.emulateMedia({ colorScheme: 'dark' })
    await expectAccessible(page, 'settings, dark')
    await context.close()
  }, 300_000)
})
