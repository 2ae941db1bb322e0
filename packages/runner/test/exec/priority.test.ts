import { afterAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { getPriority } from 'node:os'
import { join } from 'node:path'
import { LOW_PRIORITY_NICE, settleStepCgroups } from '../../src/exec/index.ts'
import { containmentFor, MODES, stepRunner, tempDirs } from './helpers.ts'

afterAll(async () => { await settleStepCgroups() })

const dirs = tempDirs()
afterAll(async () => { await dirs.cleanup() })

/** The step's own niceness (`nice`, and field 19 of /proc/self/stat), its IO class, and a child's niceness. */
const REPORT = 'echo "nice=$(nice) stat=$(cut -d" " -f19 /proc/self/stat) io=$(ionice -p $$) child=$(bash -c nice)"'

/** What this test process runs at: a normal step gets the same. */
const normal = `nice=${getPriority()} stat=${getPriority()} io=${execFileSync('ionice', ['-p', String(process.pid)], { encoding: 'utf8' }).trim()} child=${getPriority()}`
const low = (base: number): string => `nice=${base + LOW_PRIORITY_NICE} stat=${base + LOW_PRIORITY_NICE} io=best-effort: prio 7 child=${base + LOW_PRIORITY_NICE}`

describe.each(MODES)('a low-priority step in %s containment', async (mode) => {
  const run = stepRunner(await containmentFor(mode))

  it('runs, children included, at niceness +10 and best-effort IO level 7; a normal step does not', async () => {
    const lowered = await run({ script: REPORT, lowPriority: true })
    expect(lowered).toMatchObject({ outcome: 'succeeded', output: `${low(getPriority())}\n` })
    const plain = await run({ script: REPORT })
    expect(plain).toMatchObject({ outcome: 'succeeded', output: `${normal}\n` })
  })
})

describe('a low-priority sandboxed step', async () => {
  const run = stepRunner(await containmentFor('namespace'))

  it('keeps the low priority inside bubblewrap', async () => {
    const root = await dirs.make('prio')
    const spec = { workspace: join(root, 'ws'), tmp: join(root, 'tmp'), network: false }
    for (const dir of [spec.workspace, spec.tmp]) await mkdir(dir, { recursive: true })
    const result = await run({ script: REPORT, cwd: spec.workspace, sandbox: spec, lowPriority: true })
    expect(result).toMatchObject({ outcome: 'succeeded', output: `${low(getPriority())}\n` })
  })
})
