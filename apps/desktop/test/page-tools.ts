/** What the dashboard's browser tests do to a page: sign in, record statuses as drawn, check accessibility. */
import { mkdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { cli, type NodeProc } from '../../../packages/node/test/harness.ts'

/** Where screenshots go (git-ignored). */
export const TEST_OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url))

/** Signs the page's browser context in with `devq open`; returns the dashboard's address. */
export async function signIn (page: Page, node: NodeProc): Promise<string> {
  const open = JSON.parse(await cli(['open', '--print', '--json', '--data-dir', node.dataDir])) as { url: string }
  expect(open.url).not.toContain((await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim())
  await page.goto(open.url)
  await page.getByRole('heading', { name: 'Grid' }).waitFor()
  return new URL(open.url).origin
}

/** Saves a full-page screenshot as test-output/<name>.png and returns its path. */
export async function screenshot (page: Page, name: string): Promise<string> {
  await mkdir(TEST_OUTPUT, { recursive: true })
  const path = join(TEST_OUTPUT, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/**
 * Records, in the page, every status the dashboard draws for each job (`[data-job] .status`) and
 * each peer's tile (`[data-peer] .status`), in order and without repeats, so a test can see that a
 * job went queued -> running -> succeeded on screen even when a state lasted only a moment.
 */
export async function recordStatuses (page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: Record<string, string[]> = {}
    const w = window as unknown as { __statuses: Record<string, string[]> }
    w.__statuses = seen
    const take = (): void => {
      for (const el of document.querySelectorAll<HTMLElement>('[data-job] .status, [data-peer] > .tile-head .status')) {
        const owner = el.closest<HTMLElement>('[data-job], [data-peer]')!
        const list = (seen[owner.dataset.job ?? owner.dataset.peer!] ??= [])
        const text = el.textContent ?? ''
        if (list.at(-1) !== text) list.push(text)
      }
    }
    new MutationObserver(take).observe(document, { subtree: true, childList: true, characterData: true })
  })
}

/** The statuses the page has drawn for `id` (a job or a peer), in order. */
export async function statusesOf (page: Page, id: string): Promise<string[]> {
  return await page.evaluate((id) => (window as unknown as { __statuses: Record<string, string[]> }).__statuses[id] ?? [], id)
}

interface AxeResult { violations: { id: string, impact: string | null, help: string, nodes: { target: unknown[] }[] }[] }
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

/** The serious and critical axe-core violations on the page as it is now, one line each (axe goes in through DevTools: the page's CSP rightly refuses inline scripts). */
export async function seriousViolations (page: Page): Promise<string[]> {
  if (await page.evaluate(() => (window as unknown as { axe?: unknown }).axe === undefined)) await page.evaluate(await readFile(AXE, 'utf8'))
  const result = await page.evaluate(async () => await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<AxeResult> } }).axe.run(document, { resultTypes: ['violations'] }))
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)).join(', ')}`)
}
