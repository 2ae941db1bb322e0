import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const DEMO = fileURLToPath(new URL('./demo.ts', import.meta.url))

/** Runs the demo as `npm run demo` does (same Node binary), with its stdout and stderr together. */
async function runDemo (): Promise<{ code: number | null, out: string }> {
  const proc = spawn(process.execPath, [DEMO], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (c: Buffer) => { out += c.toString() })
  proc.stderr.on('data', (c: Buffer) => { out += c.toString() })
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve))
  return { code, out }
}

describe('npm run demo', () => {
  // Longer than the demo's own deadline (180 s), so a slow demo fails with its message and stops its peers.
  it('builds, pulls and runs the sample, then rebuilds one changed file on the warm peer, and every check holds', async () => {
    const { code, out } = await runDemo()
    expect(code, out).toBe(0)
    for (const line of [
      'ok: build ran on peer B, the one with its label',
      'ok: the 3 pulled artifacts match the ledger\'s sha256',
      'ok: the binary prints "hello from devq: 21"',
      'ok: only the 4 new objects travelled',
      'recompiled 1 of 7 object files: cc -O2 -Wall -c src/part3.c -o build/part3.o',
      'ok: only src/part3.c was recompiled',
      'ok: the binary prints "hello from devq: 57"',
      'Done: every claim above was checked.'
    ]) expect(out, out).toContain(line)
    expect(out).not.toContain('check failed')
  }, 200_000)
})
