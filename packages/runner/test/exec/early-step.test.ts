import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { silentLogger } from '@devq/core'
import { startEarlyStep } from '../../src/exec/early-step.ts'
import { settleStepCgroups } from '../../src/exec/index.ts'
import { containmentFor, stepRunner } from './helpers.ts'

afterAll(async () => { await settleStepCgroups() })

const MiB = 1024 * 1024
const limits = { maxProcesses: 64, maxMemoryBytes: 256 * MiB }

describe.each(['namespace', 'cgroup'] as const)('a step started early in %s containment', async (mode) => {
  const containment = await containmentFor(mode)
  const run = stepRunner(containment)

  it('runs in its own cgroup with exactly its env and cwd, and its limits hold', async () => {
    const early = startEarlyStep(containment, limits, silentLogger)
    const seen = await run({ script: 'cat /proc/self/cgroup; env | sort; pwd', env: { PATH: '/usr/bin:/bin', ONLY: 'this' }, cwd: '/usr', limits, early })
    expect(seen.outcome).toBe('succeeded')
    expect(seen.output).toMatch(/^\d+:pids:\/.*devq-step-[0-9a-f]+$/m)
    expect(seen.output).toMatch(/^ONLY=this$/m)
    // Nothing of the runner's own environment, and the stub's PATH is the step's.
    expect(seen.output).not.toMatch(/^(HOME|NODE_OPTIONS|npm_[a-z_]+)=/m)
    expect(seen.output).toMatch(/^PATH=\/usr\/bin:\/bin$/m)
    expect(seen.output.trim().split('\n').pop()).toBe('/usr')
    // The step took the early process: it is not there to take any more.
    expect(await early.take(limits)).toBeUndefined()
    const hog = await run({ script: 'head -c 2G /dev/zero | tail', limits, early: startEarlyStep(containment, limits, silentLogger) })
    expect(hog).toMatchObject({ outcome: 'failed', limit: 'memory' })
    early.dispose()
  })

  it('is not taken for other limits, and runs nothing of a command that did not arrive whole', async () => {
    const early = startEarlyStep(containment, limits, silentLogger)
    const other = await run({ script: 'cat /proc/self/cgroup', limits: { ...limits, maxProcesses: 32 }, early })
    expect(other.outcome).toBe('succeeded')
    const unused = startEarlyStep(containment, limits, silentLogger)
    const made = await unused.take(limits)
    expect(made).toBeDefined()
    const dirs = made!.cgroup.procsFiles.map((f) => f.replace(/\/cgroup\.procs$/, ''))
    made!.started.child.stdin?.end()
    // A command that does not arrive whole runs nothing: the stub says so and exits 125.
    const exit = await made!.started.exited
    expect(exit).toMatchObject({ code: 125 })
    await made!.cgroup.remove()
    expect(dirs.every((d) => !existsSync(d))).toBe(true)
  })
})
