// Type-checked with apps/desktop/tsconfig.json, whose lib has the DOM its page functions use.
/**
 * Suite `ui`: the dashboard as a user feels it, in Debian's Chromium (playwright-core) against real
 * devq-node processes. `npm run bench -- ui [--json]`.
 *
 * - dashboard_first_paint_ms: a signed-in browser loads the dashboard (navigation start) until the
 *   grid shows every peer's tile; median of 5 loads. Target <= 1000.
 * - log_100k_open_ms: on a loaded dashboard, opening the page of a job whose log has 100,000 lines
 *   until that log's last line is on screen (the page streams the log over the event stream);
 *   median of 3. Target <= 1000.
 * - event_to_screen_p50_ms: a job state change in the ledger (the `startedAt` and `finishedAt` the
 *   runner wrote, wall clock) until the dashboard's History view draws that status; 20 synthetic
 *   jobs, two changes each, one machine and one clock. Target <= 100.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { cli, startCluster, waitFor, waitMeshed, type NodeProc } from '../../packages/node/test/harness.ts'
import { commitAll, git } from '../../packages/node/test/fixtures/c-project.ts'
import type { Figures } from './run.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHROMIUM = process.env.DEVQ_CHROMIUM ?? '/usr/bin/chromium'
const FLAGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
const LOG_PIPELINE = 'version: 1\njobs:\n  noisy:\n    steps:\n      - name: print\n        run: "seq 1 100000 | sed \'s/^/\\x1b[36mline\\x1b[0m /\'"\n'

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function signedInPage (browser: Browser, node: NodeProc): Promise<Page> {
  const { url } = JSON.parse(await cli(['open', '--print', '--json', '--data-dir', node.dataDir])) as { url: string }
  const page = await browser.newPage()
  await page.goto(url)
  await page.getByRole('heading', { name: 'Grid' }).waitFor()
  return page
}

/** Loads the dashboard `loads` times; ms from navigation start until `peers` tiles are drawn. */
async function firstPaint (page: Page, peers: number, loads: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < loads; i++) {
    await page.reload()
    out.push(await page.waitForFunction((n) => document.querySelectorAll('.tile').length >= n && performance.now(), peers).then(async (h) => await h.jsonValue() as number))
  }
  return out
}

/** Builds a commit whose job prints 100,000 lines; its job id. */
async function noisyJob (origin: NodeProc, work: string): Promise<string> {
  const repo = join(work, 'repo')
  await git(work, ['init', '-q', '-b', 'main', repo])
  await writeFile(join(repo, '.devq.yml'), LOG_PIPELINE)
  const commit = await commitAll(repo, 'a noisy build')
  const run = await origin.post<{ jobs: { id: string }[] }>('/v1/runs', { dir: repo, sha: commit })
  const id = run.jobs[0]!.id
  await waitFor('the noisy build', async () => (await origin.get<{ status: string }>(`/v1/jobs/${id}`)).status === 'succeeded', 120_000)
  return id
}

/** Opens the job's page `times` times from the grid; ms until its last line is on screen. */
async function logOpen (page: Page, job: string, times: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < times; i++) {
    await page.evaluate(() => { location.hash = '#/grid' })
    await page.reload()
    await page.getByRole('heading', { name: 'Grid' }).waitFor()
    await page.waitForFunction(() => document.querySelector('.link-live') !== null)
    const t0 = await page.evaluate((id) => { const t = performance.now(); location.hash = `#/jobs/${id}`; return t }, job)
    const t1 = await page.waitForFunction(() => [...document.querySelectorAll('[role="log"] *')].some((el) => el.textContent?.endsWith('line 100000') === true) && performance.now(), undefined, { timeout: 60_000, polling: 'raf' })
    out.push((await t1.jsonValue() as number) - t0)
  }
  return out
}

/** Runs synthetic jobs one after another; ms from each start and finish in the ledger to History drawing it. */
async function eventToScreen (page: Page, origin: NodeProc, jobs: number): Promise<number[]> {
  await page.evaluate(() => {
    const drawn: Record<string, Record<string, number>> = {}
    ;(window as unknown as { __drawn: typeof drawn }).__drawn = drawn
    new MutationObserver(() => {
      const now = Date.now()
      for (const el of document.querySelectorAll<HTMLElement>('tr[data-job] .status')) {
        const at = (drawn[el.closest<HTMLElement>('tr')!.dataset.job!] ??= {})
        at[el.textContent ?? ''] ??= now
      }
    }).observe(document, { subtree: true, childList: true, characterData: true })
    location.hash = '#/history'
  })
  const out: number[] = []
  for (let i = 0; i < jobs; i++) {
    const { id } = await origin.post<{ id: string }>('/v1/jobs/synthetic', { durationMs: 300 })
    const job = await waitFor(`synthetic job ${i}`, async () => {
      const j = await origin.get<{ status: string, attempts: { startedAt?: number, finishedAt?: number }[] }>(`/v1/jobs/${id}`)
      return j.status === 'succeeded' ? j.attempts.at(-1)! : undefined
    }, 30_000, 100)
    const drawn = await waitFor('the dashboard to draw it', async () => {
      const d = await page.evaluate((jid) => (window as unknown as { __drawn: Record<string, Record<string, number>> }).__drawn[jid], id)
      return d?.succeeded !== undefined ? d : undefined
    }, 10_000, 50)
    if (drawn.running !== undefined && job.startedAt !== undefined) out.push(drawn.running - job.startedAt)
    out.push(drawn.succeeded! - job.finishedAt!)
  }
  return out
}

export async function run (log: (line: string) => void): Promise<Figures> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  execFileSync(process.execPath, [join(ROOT, 'apps', 'desktop', 'scripts', 'ensure-renderer.ts')], { stdio: 'inherit' })
  const work = await mkdtemp(join(tmpdir(), 'devq-bui-'))
  const cluster = await startCluster(3, (i) => ['--slots', i === 0 ? '0' : '1'], { DEVQ_API_CHECK: '0' })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
  try {
    const origin = cluster.nodes[0]!
    await waitMeshed(cluster.nodes)
    const page = await signedInPage(browser, origin)
    const paints = await firstPaint(page, 3, 5)
    log(`first paint ms: ${paints.map((p) => p.toFixed(0)).join(' ')}`)
    const job = await noisyJob(origin, work)
    const opens = await logOpen(page, job, 3)
    log(`100k log open ms: ${opens.map((p) => p.toFixed(0)).join(' ')}`)
    const lags = await eventToScreen(page, origin, 20)
    log(`event to screen ms: ${lags.join(' ')}`)
    return {
      dashboard_first_paint_ms: Math.round(median(paints)),
      log_100k_open_ms: Math.round(median(opens)),
      event_to_screen_p50_ms: Math.round(median(lags)),
      event_to_screen_max_ms: Math.max(...lags)
    }
  } finally {
    await browser.close()
    await cluster.stop()
    await rm(work, { recursive: true, force: true })
  }
}
