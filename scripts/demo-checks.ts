/**
 * The checks behind `npm run demo`'s claims. Each one prints `ok: <claim>` when it holds and throws
 * `DemoCheckFailed` when it does not, so the demo exits 1 with the claim and what it saw instead.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { git } from '../packages/node/test/fixtures/c-project.ts'
import { sha256File, type BuildJob } from '../packages/node/test/builds.ts'

/** A claim of the demo that did not hold. */
export class DemoCheckFailed extends Error {
  override name = 'DemoCheckFailed'
}

const say = (line: string): void => { process.stdout.write(line + '\n') }

/** Prints `ok: claim` when `holds`, else throws with `claim` and `saw`. */
export function check (holds: boolean, claim: string, saw: string): void {
  if (!holds) throw new DemoCheckFailed(`${claim}: ${saw}`)
  say(`ok: ${claim}`)
}

/** Every job of the run succeeded and the one named `pinned` ran on the peer `peerId` (called `name`). */
export function checkRun (jobs: Map<string, BuildJob>, pinned: string, peerId: string, name: string): BuildJob {
  const failed = [...jobs.values()].filter((j) => j.status !== 'succeeded').map((j) => `${j.pipelineJob} ${j.status}`)
  check(failed.length === 0, `all ${jobs.size} jobs succeeded`, failed.join(', '))
  const job = jobs.get(pinned)
  check(job?.result?.by === peerId, `${pinned} ran on peer ${name}, the one with its label`, `it ran on ${job?.result?.by ?? 'no peer'}`)
  return job!
}

/**
 * Hashes every artifact the ledger lists for `jobs` as pulled into `dir` and compares it with the
 * ledger's digest: the demo checks the bytes itself rather than trusting the pull's own report.
 */
export async function checkArtifacts (jobs: Map<string, BuildJob>, dir: string): Promise<void> {
  const listed = [...jobs.values()].flatMap((j) => j.result?.artifacts ?? [])
  const wrong: string[] = []
  for (const a of listed) {
    if (a.file === undefined) { wrong.push(`${a.name} has no file name in the ledger`); continue }
    const got = await sha256File(join(dir, a.file)).catch((err: unknown) => `unreadable (${(err as Error).message})`)
    if (got !== a.digest) wrong.push(`${a.file} is ${got}, the ledger says ${a.digest}`)
  }
  check(listed.length > 0 && wrong.length === 0, `the ${listed.length} pulled artifacts match the ledger's sha256`, listed.length === 0 ? 'the ledger lists none' : wrong.join('; '))
}

/** Runs the pulled binary and checks that it prints exactly `expected`. */
export async function checkBinary (path: string, expected: string): Promise<void> {
  const proc = spawn(path, [], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  proc.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); process.stdout.write(chunk) })
  const code = await new Promise<number | null>((resolve) => { proc.on('exit', resolve); proc.on('error', () => { resolve(null) }) })
  check(code === 0 && out.trim() === expected, `the binary prints "${expected}"`, `exit ${String(code)}, output ${JSON.stringify(out)}`)
}

/** Objects that `to` adds to `from` in `repo`, as git itself counts them: all a warm runner lacks. */
export async function newObjects (repo: string, from: string, to: string): Promise<number> {
  return (await git(repo, ['rev-list', '--objects', `${from}..${to}`])).split('\n').filter((l) => l !== '').length
}

/** The build's source transfer carried no more than the objects the commit adds, and less than a full pack. */
export function checkTransfer (fetched: { bytes: number, objects: number } | undefined, added: number, fullPack: number): void {
  check(fetched !== undefined, 'the runner reported its source transfer', 'the build result has no fetched counts')
  check(fetched!.objects > 0 && fetched!.objects <= added, `only the ${added} new objects travelled`, `${fetched!.objects} objects did`)
  check(fetched!.bytes < fullPack, 'the transfer was smaller than a full pack', `${fetched!.bytes} bytes against a full pack of ${fullPack}`)
}

/** Exactly one object file was compiled, the one from `changed`. */
export function checkRecompiled (compiled: string[], changed: string): void {
  const only = compiled.length === 1 && compiled[0]!.includes(` -c ${changed} `)
  check(only, `only ${changed} was recompiled`, `${compiled.length} compiles: ${compiled.join('; ') || 'none'}`)
}
