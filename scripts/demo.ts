/**
 * `npm run demo`: three DevQ peers on loopback build a sample C project. Peer A announces (it lends
 * no slots), B and C build. The build job asks for a label only B has, as a team pins a job to the
 * box that keeps its warm workspace; the image job goes to B or C. The first run builds the binary,
 * a `.tar.gz` package and an OCI image and brings them back to A; the demo runs the binary. Then one
 * source file changes: the second run moves only the new objects and recompiles only that file.
 * Every claim is checked (see demo-checks.ts): the demo exits 1 when one does not hold. Every peer
 * stops at the end.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { arch, platform, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeDir, startCluster, waitMeshed, type Cluster, type NodeProc } from '../packages/node/test/harness.ts'
import { commitAll, cPipeline, createCProject, helperSource } from '../packages/node/test/fixtures/c-project.ts'
import { fullPackBytes, logOf, type BuildJob } from '../packages/node/test/builds.ts'
import { checkArtifacts, checkBinary, checkRecompiled, checkRun, checkTransfer, DemoCheckFailed, newObjects } from './demo-checks.ts'

const CLI = fileURLToPath(new URL('../packages/node/bin/devq.ts', import.meta.url))
/** The runner label B offers and the build job asks for. */
const BUILD_LABEL = 'c-builder'
/** The file the second run changes and its new value; createCProject's part<i> returns i + 1. */
const CHANGE = { part: 3, value: 40 }
/** Past this the demo stops its peers and fails rather than hang a terminal or CI. */
const DEADLINE_MS = 180_000
const say = (line = ''): void => { process.stdout.write(line + '\n') }
const kb = (n: number): string => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`)

interface Demo { repo: string, work: string, a: NodeProc, builder: NodeProc, names: Map<string, string> }

/** What the binary prints when part<i> returns `values[i]`. */
const greeting = (values: number[]): string => `hello from devq: ${values.reduce((s, v) => s + v, 0)}`

/** Runs the real `devq` CLI in `cwd` against peer A, echoing its output; resolves with that output. */
async function devq (d: Demo, args: string[]): Promise<string> {
  say(`$ devq ${args.join(' ')}`)
  const proc = spawn(process.execPath, [CLI, ...args, '--data-dir', d.a.dataDir], { cwd: d.repo, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  proc.stdout.on('data', (chunk: Buffer) => {
    let text = chunk.toString()
    out += text
    for (const [id, name] of d.names) text = text.replaceAll(id.slice(0, 12), `peer ${name}`)
    process.stdout.write(text)
  })
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve))
  if (code !== 0) throw new DemoCheckFailed(`devq ${args[0]} exited ${String(code)}`)
  return out
}

/** `devq run --wait`, then the run's jobs from A's API, checked: all succeeded, build on B. */
async function runAndCheck (d: Demo): Promise<Map<string, BuildJob>> {
  const out = await devq(d, ['run', '--wait'])
  const run = /^run ([0-9a-f]{32})/m.exec(out)![1]!
  const { jobs } = await d.a.get<{ jobs: BuildJob[] }>(`/v1/runs/${run}`)
  const byName = new Map(jobs.map((j) => [j.pipelineJob, j]))
  checkRun(byName, 'build', d.builder.peerId, d.names.get(d.builder.peerId)!)
  return byName
}

/** Pulls every job's artifacts into `dir`, checks them against the ledger, runs the binary. */
async function pullAndRun (d: Demo, jobs: Map<string, BuildJob>, dir: string, expected: string): Promise<void> {
  const out = join(d.work, dir)
  for (const job of jobs.values()) await devq(d, ['pull', job.id, '-o', out])
  await checkArtifacts(jobs, out)
  say(`$ ./${dir}/hello`)
  await checkBinary(join(out, 'hello'), expected)
}

async function firstRun (d: Demo, values: number[]): Promise<void> {
  say(`\n== First run: the whole pipeline; build asks for "${BUILD_LABEL}", which only B offers ==`)
  await pullAndRun(d, await runAndCheck(d), 'artifacts', greeting(values))
}

async function secondRun (d: Demo, before: string, values: number[]): Promise<void> {
  say('\n== Second run: one file changed ==')
  const changed = `src/part${CHANGE.part}.c`
  await writeFile(join(d.repo, changed), helperSource(CHANGE.part, CHANGE.value))
  const commit = await commitAll(d.repo, `change part${CHANGE.part}`)
  say(`changed ${changed} and committed it (not pushed anywhere)`)
  const jobs = await runAndCheck(d)
  const build = jobs.get('build')!
  const fetched = build.result?.fetched
  const [added, fullPack] = [await newObjects(d.repo, before, commit), await fullPackBytes(d.repo, commit)]
  say(`source moved to the runner: ${fetched?.objects ?? '?'} objects, ${kb(fetched?.bytes ?? 0)} (the commit adds ${added} objects; a full pack of it is ${kb(fullPack)})`)
  checkTransfer(fetched, added, fullPack)
  const compiled = (await logOf(d.a, build.id)).split('\n').filter((l) => /^cc .* -c /.test(l))
  say(`recompiled ${compiled.length} of 7 object files: ${compiled.join('; ')}`)
  checkRecompiled(compiled, changed)
  await pullAndRun(d, jobs, 'artifacts-2', greeting(values.map((v, i) => (i === CHANGE.part ? CHANGE.value : v))))
}

async function demo (work: string, started: (c: Cluster) => void): Promise<void> {
  say('DevQ demo: three peers on 127.0.0.1, data under ' + work)
  // B and C start one after the other so the names follow the flags: only B offers the label.
  const cluster = await startCluster(2, (i) => (i === 0 ? ['--slots', '0'] : ['--slots', '1', '--labels', [platform(), arch(), BUILD_LABEL].join(',')]))
  started(cluster)
  await cluster.add(['--slots', '1'])
  await waitMeshed(cluster.nodes)
  const [a, builder] = [cluster.nodes[0]!, cluster.nodes[1]!]
  const names = new Map(cluster.nodes.map((n, i) => [n.peerId, 'ABC'[i]!]))
  const roles = { A: '  (the developer\'s laptop: announces, builds nothing)', B: `  (offers the label ${BUILD_LABEL})`, C: '' }
  for (const [id, name] of names) say(`  peer ${name}  ${id}${roles[name as keyof typeof roles]}`)
  const repo = join(work, 'hello')
  const { commit } = await createCProject(repo, 6, cPipeline(BUILD_LABEL))
  say(`sample C project with a Makefile and a .devq.yml in ${repo}`)
  const d: Demo = { repo, work, a, builder, names }
  const values = Array.from({ length: 6 }, (_, i) => i + 1)
  await firstRun(d, values)
  await secondRun(d, commit, values)
  say('\nDone: every claim above was checked.')
}

let cluster: Cluster | undefined
let timer: NodeJS.Timeout | undefined
const work = await mkdtemp(join(tmpdir(), 'devq-demo-'))
try {
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new DemoCheckFailed(`the demo did not finish within ${DEADLINE_MS / 1000} s`)) }, DEADLINE_MS)
  })
  await Promise.race([demo(work, (c) => { cluster = c }), late])
} catch (err) {
  const failed = err instanceof DemoCheckFailed
  process.stderr.write(failed ? `\ndemo check failed: ${err.message}\n` : `\ndemo failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
} finally {
  clearTimeout(timer)
  say('stopping the peers')
  await cluster?.stop()
  await removeDir(work)
}
// After a deadline a `devq` child may still be polling; the peers are gone, so nothing is left to wait for.
if (process.exitCode === 1) process.exit(1)
