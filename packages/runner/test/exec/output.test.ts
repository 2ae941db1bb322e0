import { afterAll, describe, expect, it } from 'vitest'
import { tmpdir } from 'node:os'
import { silentLogger } from '@devq/core'
import { detectContainment, runStep, settleStepCgroups, type StepSpec } from '../../src/exec/index.ts'

afterAll(async () => { await settleStepCgroups() })

const MiB = 1024 * 1024

describe('step output', async () => {
  const containment = await detectContainment()
  const base: Omit<StepSpec, 'script' | 'onOutput'> = { env: { PATH: '/usr/bin:/bin' }, cwd: tmpdir(), timeoutMs: 60_000, limits: { maxProcesses: 64, maxMemoryBytes: 512 * MiB } }

  it('streams 200 MB through onOutput without holding it: memory grows far less than that', async () => {
    globalThis.gc?.()
    const before = process.memoryUsage().rss
    let bytes = 0
    let peak = before
    let chunks = 0
    const result = await runStep({ containment, logger: silentLogger }, {
      ...base,
      // yes dies of SIGPIPE when head is done, which pipefail would count as the step failing.
      script: '(yes || :) | head -c 200M',
      onOutput: (chunk) => {
        bytes += chunk.length
        if (++chunks % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss)
      }
    })
    expect(result.outcome).toBe('succeeded')
    expect(bytes).toBe(200 * MiB)
    expect(peak - before).toBeLessThan(80 * MiB)
  })

  it('keeps every byte in order when the sink is slow (backpressure reaches the step)', async () => {
    const parts: Buffer[] = []
    const result = await runStep({ containment, logger: silentLogger }, {
      ...base,
      script: 'seq 1 100000',
      onOutput: async (chunk) => {
        parts.push(Buffer.from(chunk))
        await new Promise((resolve) => setImmediate(resolve))
      }
    })
    expect(result.outcome).toBe('succeeded')
    const expected = Array.from({ length: 100000 }, (_v, i) => `${i + 1}\n`).join('')
    expect(Buffer.concat(parts).toString()).toBe(expected)
  })

  it('does not wait for pipes a daemonized child holds open', async () => {
    const result = await runStep({ containment, logger: silentLogger }, {
      ...base,
      graceMs: 500,
      script: "setsid bash -c 'trap \"\" TERM; exec sleep 1000' & echo started",
      onOutput: () => {}
    })
    expect(result.outcome).toBe('succeeded')
    expect(result.durationMs).toBeLessThan(5_000)
  })
})
