/** Starting a step's top process: the one place that spawns it, for `runStep` and early-step.ts. */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'

/** How the top process of a step ended (or failed to start). */
export type Exit = { code: number | null, signal: NodeJS.Signals | null } | { error: Error }

/** A started step process (its stdout and stderr piped) and its end. */
export interface StartedStep {
  child: ChildProcess & { stdout: Readable, stderr: Readable }
  exited: Promise<Exit>
}

/** Starts `file args` in its own process group and records its end from the first moment. */
export function spawnStep (file: string, args: readonly string[], opts: { cwd: string, env: Record<string, string>, stdin: 'ignore' | 'pipe' }): StartedStep {
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: [opts.stdin, 'pipe', 'pipe'] }) as StartedStep['child']
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => { resolve({ code, signal }) })
    child.once('error', (error) => { resolve({ error }) })
  })
  return { child, exited }
}
