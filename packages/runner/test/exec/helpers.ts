/**
 * Helpers for the executor tests: steps with sane defaults, output collection, and /proc checks
 * for the processes a test started (found by a marker in their command line or environment).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@devq/core'
import { detectContainment, runStep, type Containment, type ContainmentMode, type StepResult, type StepSpec } from '../../src/exec/index.ts'

export const MODES: ContainmentMode[] = ['namespace', 'cgroup', 'cookie']

/** The containment for `mode`, or null where this machine cannot do it (its tests are skipped). */
export async function containmentFor (mode: ContainmentMode): Promise<Containment> {
  // Every mode must work where the tests run (CI installs bubblewrap; cgroups are writable there):
  // an unavailable mode fails its tests instead of skipping them.
  return await detectContainment({ mode })
}

/** A unique duration for `sleep`, so `sleep <marker>` names this test's processes in /proc. */
export function sleepMarker (): string {
  return `1000.${String(randomBytes(4).readUInt32BE(0)).padStart(10, '0')}`
}

/** A unique value for an environment marker variable. */
export function envMarker (): string {
  return `devq-test-${randomBytes(8).toString('hex')}`
}

async function pidsWhere (file: 'cmdline' | 'environ', test: (text: string) => boolean): Promise<number[]> {
  const found: number[] = []
  for (const name of await readdir('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue
      if (test((await readFile(`/proc/${pid}/${file}`)).toString('utf8'))) found.push(pid)
    } catch {
      // gone while we looked
    }
  }
  return found
}

/** Live processes whose command line holds one of `markers` as an argument. */
export async function withCmdline (...markers: string[]): Promise<number[]> {
  return await pidsWhere('cmdline', (text) => markers.some((m) => text.split('\0').includes(m)))
}

/** Live processes whose environment holds `MARKER=<marker>`. */
export async function withEnvMarker (marker: string): Promise<number[]> {
  return await pidsWhere('environ', (text) => text.split('\0').includes(`MARKER=${marker}`))
}

/** Kills whatever a failed test left behind, so the next test and the machine are not burdened. */
export async function killLeftovers (pids: number[]): Promise<void> {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

/** Polls `check` until it returns true, up to `ms`; the test's own events drive everything else. */
export async function until (check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return false
}

/** A step runner that collects output as text (up to 1 MiB) for one containment. */
export function stepRunner (containment: Containment) {
  return async (spec: Partial<StepSpec> & { script: string }): Promise<StepResult & { output: string }> => {
    let output = ''
    const result = await runStep({ containment, logger: silentLogger }, {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: tmpdir() },
      cwd: tmpdir(),
      timeoutMs: 30_000,
      graceMs: 2_000,
      limits: { maxProcesses: 256, maxMemoryBytes: 512 * 1024 * 1024 },
      ...spec,
      onOutput: (chunk) => {
        if (output.length < 1024 * 1024) output += Buffer.from(chunk).toString('utf8')
        return spec.onOutput?.(chunk)
      }
    })
    return { ...result, output }
  }
}

/** Temp dirs for one test file; `cleanup` removes them all. */
export function tempDirs (): { make: (prefix: string, base?: string) => Promise<string>, cleanup: () => Promise<void> } {
  const made: string[] = []
  return {
    async make (prefix, base = tmpdir()) {
      const dir = await mkdtemp(join(base, `devq-${prefix}-`))
      made.push(dir)
      return dir
    },
    async cleanup () {
      for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true })
    }
  }
}
