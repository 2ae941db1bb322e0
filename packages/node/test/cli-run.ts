/** Runs the devq CLI as a child process with its own environment and working directory, keeping its exit code. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Options of `runDevq`: stdin text, the whole environment (default this process's) and the working directory. */
export interface CliRunOptions {
  input?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** Runs `devq args...` and resolves with its exit code and output, whatever the code. */
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
