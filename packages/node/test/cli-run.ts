/** Runs the real `devq` CLI as a child process and checks its `--json` output against doc/cli-json.schema.json. */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'

const CLI = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))
const SCHEMA = join(import.meta.dirname, '..', '..', '..', 'doc', 'cli-json.schema.json')

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** The environment the CLI runs with: this one without colour forcing, plus `env`. */
function envWith (env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env }
  delete base.FORCE_COLOR
  delete base.NO_COLOR
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k]
    else base[k] = v
  }
  return base
}

/** Starts `devq args` with pipes (never a terminal). */
export function spawnDevq (args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: envWith(env) })
}

/** Runs `devq args` to its end; never throws on an exit code. */
export async function devq (args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const proc = spawnDevq(args, env)
  proc.stdin!.end()
  let stdout = ''
  let stderr = ''
  proc.stdout!.on('data', (c: Buffer) => { stdout += c.toString() })
  proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve))
  return { code, stdout, stderr }
}

/** `devq args`, which must exit 0; its stdout. */
export async function devqOk (args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const r = await devq(args, env)
  if (r.code !== 0) throw new Error(`devq ${args.join(' ')} exited ${String(r.code)}: ${r.stderr}`)
  return r.stdout
}

const defs = (JSON.parse(readFileSync(SCHEMA, 'utf8')) as { $defs: Record<string, z.core.JSONSchema.JSONSchema> }).$defs

/**
 * `text` parsed as JSON and checked against the committed schema's definition `name` (unknown
 * keys fail it: every object there has `additionalProperties: false`). Throws naming the fault.
 */
export function validJson<T> (name: string, text: string): T {
  const def = defs[name]
  if (def === undefined) throw new Error(`no ${name} in ${SCHEMA}`)
  const value: unknown = JSON.parse(text)
  const r = z.fromJSONSchema(def).safeParse(value)
  if (!r.success) throw new Error(`devq output does not match ${name}: ${z.prettifyError(r.error)}\n${text}`)
  return value as T
}

/** Options of `runDevq`: stdin text, the whole environment (default this process's) and the working directory. */
export interface CliRunOptions {
  input?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** Runs `devq args...` with exactly `options.env` and `cwd`, and resolves with its exit code and output, whatever the code. */
export async function runDevq (args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) })
  proc.stdin.end(options.input)
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  proc.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await new Promise<number | null>((resolve) => proc.on('close', (code) => { resolve(code) }))
  return { code, stdout, stderr }
}
