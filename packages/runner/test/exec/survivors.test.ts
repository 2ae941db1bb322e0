import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { containmentFor, killLeftovers, MODES, sleepMarker, stepRunner, tempDirs, until, withCmdline } from './helpers.ts'
import { settleStepCgroups } from '../../src/exec/index.ts'

afterAll(async () => { await settleStepCgroups() })

const markers: string[] = []
const dirs = tempDirs()
afterEach(async () => {
  await killLeftovers(await withCmdline(...markers.splice(0)))
  await dirs.cleanup()
})

function survivorMarkers (): [string, string, string] {
  const m: [string, string, string] = [sleepMarker(), sleepMarker(), sleepMarker()]
  markers.push(...m)
  return m
}

/** A script that leaves a setsid'd child, a double-forked orphan and one that ignores SIGTERM. */
function leaveSurvivors ([a, b, c]: [string, string, string]): string {
  return `setsid sleep ${a} &\n( (sleep ${b} &) & )\nsetsid bash -c 'trap "" TERM; exec sleep ${c}' &\necho ready\n`
}

describe.each(MODES)('no process outlives its step in %s containment', async (mode) => {
  const containment = await containmentFor(mode)
  const run = stepRunner(containment)

  it('after the step exits 0, its setsid, double-forked and TERM-ignoring children are gone', async () => {
    const m = survivorMarkers()
    const go = join(await dirs.make('go'), 'go')
    const during = { count: 0 }
    const result = await run!({
      script: `${leaveSurvivors(m)}while [ ! -e ${go} ]; do sleep 0.02; done\nexit 0`,
      graceMs: 500,
      onOutput: async (chunk) => {
        if (!Buffer.from(chunk).toString().includes('ready')) return
        await until(async () => (await withCmdline(...m)).length === 3)
        during.count = (await withCmdline(...m)).length
        await writeFile(go, '')
      }
    })
    expect(during.count).toBe(3)
    expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0 })
    expect(await withCmdline(...m)).toEqual([])
    if (mode !== 'namespace') expect(result.killed).toBe(3)
  })

  it('after a timeout, the same children are gone', async () => {
    const m = survivorMarkers()
    const during = { count: 0 }
    const result = await run!({
      script: `${leaveSurvivors(m)}sleep 1000`,
      graceMs: 500,
      timeoutMs: 3_000,
      onOutput: async (chunk) => {
        if (!Buffer.from(chunk).toString().includes('ready')) return
        await until(async () => (await withCmdline(...m)).length === 3)
        during.count = (await withCmdline(...m)).length
      }
    })
    expect(during.count).toBe(3)
    expect(result.outcome).toBe('timeout')
    expect(await withCmdline(...m)).toEqual([])
  })

  it('a child that scrubs its env and leaves the group is ended by a cgroup or namespace, and never holds the step open', async () => {
    const [m] = survivorMarkers()
    // The step waits until the child has exec'd sleep, so it has really left its cookie behind.
    const script = `env -i /usr/bin/setsid /bin/sleep ${m} &\np=$!\nuntil [ "$(tr '\\0' ' ' < /proc/$p/cmdline)" = "/bin/sleep ${m} " ]; do sleep 0.01; done\necho left`
    const result = await run!({ script, graceMs: 500 })
    expect(result).toMatchObject({ outcome: 'succeeded', output: 'left\n' })
    expect(result.durationMs).toBeLessThan(5_000)
    // Only the cookie can find a process outside the group, and this one threw the cookie away.
    expect(await withCmdline(m)).toHaveLength(mode === 'cookie' ? 1 : 0)
  })
})
