/**
 * Real Chromium for the dashboard's tests: Debian's /usr/bin/chromium driven by playwright-core.
 * Where it is absent the browser suites skip with a loud notice, except when DEVQ_REQUIRE_BROWSER
 * is set (CI sets it), where its absence fails them.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** The browser the tests drive. */
export const CHROMIUM = process.env.DEVQ_CHROMIUM ?? '/usr/bin/chromium'

/** Whether the browser suites run here; prints why not once when they do not. */
export function browserAvailable (): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.DEVQ_REQUIRE_BROWSER !== undefined) throw new Error(`${CHROMIUM} is missing and DEVQ_REQUIRE_BROWSER is set: install it with apt-get install -y chromium`)
  process.stderr.write(`\n*** ${CHROMIUM} not found: the dashboard's browser tests are SKIPPED (apt-get install -y chromium) ***\n\n`)
  return false
}

/** Flags that keep Chromium off every network but loopback and out of first-run work. */
const FLAGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

/** Starts headless Chromium with a fresh profile. */
export async function launchBrowser (): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
}
