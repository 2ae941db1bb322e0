import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createStepCgroup, detectCgroups } from '../../src/exec/cgroup.ts'
import { containmentFor, envMarker, killLeftovers, sleepMarker, stepRunner, withCmdline, withEnvMarker } from './helpers.ts'
import { settleStepCgroups } from '../../src/exec/index.ts'

afterAll(async () => { await settleStepCgroups() })

const MiB = 1024 * 1024
const PATH = '/usr/local/bin:/usr/bin:/bin'
const leftovers: Array<() => Promise<number[]>> = []
afterEach(async () => {
  for (const find of leftovers.splice(0)) await killLeftovers(await find())
})

// A fork bomb runs only where a cgroup holds it: as root, RLIMIT_NPROC binds nothing, and a bomb
// held only by the /proc watcher could still exhaust a shared machine's pids for a moment.
describe.each(['namespace', 'cgroup'] as const)('limits from a cgroup in %s containment', async (mode) => {
  const containment = await containmentFor(mode)
  const run = containment?.cgroup == null ? null : stepRunner(containment)

  it('a fork bomb fails its step only: nothing of it is left and the next step runs', async () => {
    const marker = envMarker()
    leftovers.push(async () => await withEnvMarker(marker))
    const limits = { maxProcesses: 64, maxMemoryBytes: 512 * MiB }
    const bomb = await run!({ script: ':(){ :|:& };:\nsleep 60', env: { PATH, MARKER: marker }, limits, graceMs: 1_000, timeoutMs: 60_000 })
    expect(bomb).toMatchObject({ outcome: 'failed', limit: 'processes' })
    expect(bomb.durationMs).toBeLessThan(20_000)
    expect(await withEnvMarker(marker)).toEqual([])
    const next = await run!({ script: 'echo fine', env: { PATH, MARKER: marker }, limits })
    expect(next).toMatchObject({ outcome: 'succeeded', output: 'fine\n', limit: null })
  })

  it('a fork bomb that is the whole script leaves nothing behind either', async () => {
    const marker = envMarker()
    leftovers.push(async () => await withEnvMarker(marker))
    // Its top process exits at once: the sweep of leftovers may end the bomb before it reaches
    // the limit (then the step exited 0 and merely left processes), or after (then it failed).
    const bomb = await run!({ script: ':(){ :|:& };:', env: { PATH, MARKER: marker }, limits: { maxProcesses: 64, maxMemoryBytes: 512 * MiB }, graceMs: 1_000 })
    expect(bomb.outcome === 'failed' ? bomb.limit : 'swept').toBe(bomb.outcome === 'failed' ? 'processes' : 'swept')
    // A pid namespace's end takes the bomb down by itself; elsewhere DevQ has to kill it.
    if (mode === 'cgroup') expect(bomb.killed).toBeGreaterThan(0)
    expect(bomb.durationMs).toBeLessThan(20_000)
    expect(await withEnvMarker(marker)).toEqual([])
  })

  it('runs a step in its own cgroup and removes that cgroup afterwards', async () => {
    const own = await run!({ script: 'cat /proc/self/cgroup' })
    const place = /^\d+:pids:(\/.*devq-step-[0-9a-f]+)$/m.exec(own.output)?.[1]
    expect(place).toBeDefined()
    const dir = `${containment!.cgroup!.pids!.replace(/\/$/, '')}/${place!.split('/').pop()!}`
    await settleStepCgroups()
    expect(existsSync(dir)).toBe(false)
  })

  it('a memory hog over its limit fails its step', async () => {
    const hog = await run!({ script: 'head -c 2G /dev/zero | tail', limits: { maxProcesses: 64, maxMemoryBytes: 256 * MiB } })
    expect(hog).toMatchObject({ outcome: 'failed', limit: 'memory' })
    expect(hog.exitCode).not.toBe(0)
    expect(hog.durationMs).toBeLessThan(30_000)
    const small = await run!({ script: 'head -c 64M /dev/zero | tail | wc -c', limits: { maxProcesses: 64, maxMemoryBytes: 256 * MiB } })
    expect(small).toMatchObject({ outcome: 'succeeded', output: `${64 * MiB}\n` })
  })
})

describe('limits without a cgroup (cookie containment)', async () => {
  const containment = await containmentFor('cookie')
  const run = stepRunner(containment!)

  it('a memory hog fails its step through RLIMIT_AS', async () => {
    const hog = await run({ script: 'head -c 2G /dev/zero | tail', limits: { maxProcesses: 64, maxMemoryBytes: 256 * MiB } })
    expect(hog.outcome).toBe('failed')
    expect(hog.exitCode).not.toBe(0)
    expect(hog.durationMs).toBeLessThan(30_000)
  })

  it('a step with more processes than its limit is stopped by the /proc watcher', async () => {
    const m = sleepMarker()
    leftovers.push(async () => await withCmdline(m))
    const many = await run({ script: `for i in $(seq 200); do sleep ${m} & done; wait`, limits: { maxProcesses: 64, maxMemoryBytes: 512 * MiB }, graceMs: 1_000 })
    expect(many).toMatchObject({ outcome: 'failed', limit: 'processes' })
    expect(many.killed).toBeGreaterThan(64)
    expect(await withCmdline(m)).toEqual([])
  })
})

describe('a step cgroup', async () => {
  const support = await detectCgroups()

  it('is made with its limits and removed again', async () => {
    const cgroup = await createStepCgroup(support!, { maxProcesses: 33, maxMemoryBytes: 100 * MiB })
    const dirs = cgroup.procsFiles.map((f) => f.replace(/\/cgroup\.procs$/, ''))
    expect(dirs.every((d) => existsSync(d))).toBe(true)
    if (cgroup.limitsProcesses) expect((await readFile(`${dirs[0]}/pids.max`, 'utf8')).trim()).toBe('33')
    expect(await cgroup.members()).toEqual(new Set())
    expect(await cgroup.limitHit()).toBeNull()
    expect(await cgroup.remove()).toBe(true)
    expect(dirs.some((d) => existsSync(d))).toBe(false)
    expect(await cgroup.remove()).toBe(true)
  })
})
