/** The main and preload bundles the packaged app loads, and the tray icons beside them. */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TRAY_STATES } from '../src/main/tray-model.ts'
import { bundleMain } from '../scripts/bundle-main.ts'

describe('bundle-main', () => {
  let out: string
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'devq-bundle-'))
    await bundleMain(out)
  })
  afterAll(async () => { await rm(out, { recursive: true, force: true }) })

  it('the preload is one CommonJS file that requires electron alone and carries no schema code', async () => {
    const preload = await readFile(join(out, 'preload', 'preload.cjs'), 'utf8')
    expect([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron'])
    expect(preload).not.toMatch(/\bimport\s/)
    expect(preload).toContain('exposeInMainWorld("devq"')
    expect(preload).not.toContain('zod')
  })

  it('the main bundle imports only electron; @devq/node it loads at run time (in a packaged app from the staged release)', async () => {
    const main = await readFile(join(out, 'main', 'electron.js'), 'utf8')
    const imports = new Set([...main.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!))
    expect([...imports].filter((s) => !s.startsWith('node:')).sort()).toEqual(['electron'])
    const loaded = new Set([...main.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!))
    expect([...loaded]).toEqual(['@devq/node'])
  })

  it('every tray state has its icon at 1x and 2x', () => {
    const dir = fileURLToPath(new URL('../assets/tray/', import.meta.url))
    for (const state of TRAY_STATES) {
      expect(existsSync(join(dir, `tray-${state}.png`))).toBe(true)
      expect(existsSync(join(dir, `tray-${state}@2x.png`))).toBe(true)
    }
  })
})
