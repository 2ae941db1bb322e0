import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FENCE_STOP, silentLogger } from '@devq/core'
import { runStep, settleStepCgroups } from '../../src/exec/index.ts'
import { containmentFor, killLeftovers, MODES, sleepMarker, stepRunner, until, withCmdline } from './helpers.ts'

afterAll(async () => { await settleStepCgroups() })

const markers: string[] = []
afterEach(async () => { await killLeftovers(await withCmdline(...markers.splice(0))) })

function marker (): string {
  const m = sleepMarker()
  markers.push(m)
  return m
}

describe.each(MODES)('a step in %s containment', async (mode) => {
  const containment = await containmentFor(mode)
  const run = stepRunner(containment)

  it('streams stdout and stderr as one log and reports exit codes', async () => {
    const ok = await run!({ script: 'echo out; echo err >&2; echo out again' })
    expect(ok).toMatchObject({ outcome: 'succeeded', exitCode: 0, signal: null, limit: null })
    expect(ok.output).toBe('out\nerr\nout again\n')
    expect(await run!({ script: 'echo before; exit 3' })).toMatchObject({ outcome: 'failed', exitCode: 3, output: 'before\n' })
    const missing = await run!({ script: 'no-such-command-devq' })
    expect(missing).toMatchObject({ outcome: 'failed', exitCode: 127 })
    expect(missing.output).toContain('no-such-command-devq')
  })

  it('runs with -e and -o pipefail and exactly the env it is given', async () => {
    expect(await run!({ script: 'false | true; echo after' })).toMatchObject({ outcome: 'failed', exitCode: 1, output: '' })
    expect(await run!({ script: 'false; echo after' })).toMatchObject({ outcome: 'failed', output: '' })
    const env = await run!({ script: 'env | grep -v -e ^PWD= -e ^SHLVL= -e ^_= | sort', env: { PATH: '/usr/bin:/bin', ONLY: 'this' } })
    expect(env.output.split('\n').filter((l) => l !== '' && !l.startsWith('DEVQ_STEP_COOKIE='))).toEqual(['ONLY=this', 'PATH=/usr/bin:/bin'])
    expect(env.output).toMatch(/^DEVQ_STEP_COOKIE=[0-9a-f]{32}$/m)
  })

  it('stops a step that runs past its timeout', async () => {
    const m = marker()
    const result = await run!({ script: `sleep ${m}`, timeoutMs: 500 })
    expect(result.outcome).toBe('timeout')
    expect(result.durationMs).toBeGreaterThanOrEqual(450)
    expect(result.durationMs).toBeLessThan(5_000)
    expect(await withCmdline(m)).toEqual([])
  })

  it('stops a step when its signal aborts', async () => {
    const m = marker()
    const cancel = new AbortController()
    const result = await run!({
      script: `echo ready; sleep ${m}`,
      signal: cancel.signal,
      onOutput: (chunk) => { if (Buffer.from(chunk).toString().includes('ready')) cancel.abort() }
    })
    expect(result).toMatchObject({ outcome: 'cancelled', output: 'ready\n' })
    expect(result.durationMs).toBeLessThan(5_000)
    expect(await withCmdline(m)).toEqual([])
  })

  it('SIGKILLs a step that traps SIGTERM and keeps running, after the grace', async () => {
    const result = await run!({ script: 'trap "echo got TERM" TERM; echo ready; while true; do sleep 0.05 || true; done', timeoutMs: 300, graceMs: 800 })
    expect(result).toMatchObject({ outcome: 'timeout', signal: 'SIGKILL' })
    expect(result.output).toContain('got TERM')
    expect(result.durationMs).toBeGreaterThanOrEqual(1_000)
    expect(result.durationMs).toBeLessThan(6_000)
  })

  it('gives a step no grace when its runner is cut off from the mesh (FENCE_STOP)', async () => {
    const fence = new AbortController()
    const result = await run!({
      script: 'trap "echo got TERM" TERM; echo ready; while true; do sleep 0.05 || true; done',
      graceMs: 20_000,
      signal: fence.signal,
      onOutput: (chunk) => { if (Buffer.from(chunk).toString().includes('ready')) fence.abort(FENCE_STOP) }
    })
    expect(result).toMatchObject({ outcome: 'cancelled', signal: 'SIGKILL' })
    // Far below the 20 s grace an ordinary cancel would give it.
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it('SIGKILLs a child that ignores SIGTERM although the top process exited at once', async () => {
    const m = marker()
    const seen = { child: false }
    const result = await run!({
      script: `(trap "" TERM; exec sleep ${m}) & echo ready; sleep 1000`,
      timeoutMs: 5_000,
      graceMs: 500,
      onOutput: async () => { seen.child = await until(async () => (await withCmdline(m)).length === 1) }
    })
    expect(seen.child).toBe(true)
    expect(result.outcome).toBe('timeout')
    // In a pid namespace the kernel ends the child when bwrap goes; elsewhere DevQ must SIGKILL it.
    if (mode !== 'namespace') expect(result.killed).toBeGreaterThanOrEqual(1)
    expect(await withCmdline(m)).toEqual([])
  })
})

describe('a step that cannot start', async () => {
  const containment = await containmentFor('cookie')
  const run = stepRunner(containment!)

  it('fails with a reason for a missing working directory or a NUL in its env', async () => {
    const missing = await run({ script: 'true', cwd: join(tmpdir(), 'devq-no-such-dir-x') })
    expect(missing).toMatchObject({ outcome: 'failed', exitCode: null })
    expect(missing.error).toContain('devq-no-such-dir-x')
    const nul = await run({ script: 'true', env: { BAD: 'a\0b' } })
    expect(nul.outcome).toBe('failed')
    expect(nul.error).toMatch(/env\.BAD/)
    const bad = await run({ script: 'true', timeoutMs: -1 })
    expect(bad.error).toMatch(/timeoutMs/)
  })

  it('does not run a step whose signal has already aborted', async () => {
    const cancel = new AbortController()
    cancel.abort()
    const output: Uint8Array[] = []
    const result = await runStep({ containment: containment!, logger: silentLogger }, {
      script: 'echo ran', env: {}, cwd: tmpdir(), timeoutMs: 1_000, signal: cancel.signal, limits: { maxProcesses: 16, maxMemoryBytes: 1 << 28 }, onOutput: (c) => { output.push(c) }
    })
    expect(result.outcome).toBe('cancelled')
    expect(output).toEqual([])
  })
})
