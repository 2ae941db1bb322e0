/**
 * `npm run demo`: three DevQ peers on loopback build a sample C project. Peer A announces (it lends
 * no slots), B and C build. The first run builds the binary, a `.tar.gz` package and an OCI image
 * on B or C and brings them back to A; the demo runs the binary. Then one source file changes: the
 * second run moves only the new objects and recompiles only that file. Every peer stops at the end.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeDir, startCluster, waitMeshed, type Cluster, type NodeProc } from '../packages/node/test/harness.ts'
import { commitAll, createCProject, helperSource } from '../packages/node/test/fixtures/c-project.ts'
import { fullPackBytes, logOf, type BuildJob } from '../packages/node/test/builds.ts'

const CLI = fileURLToPath(new URL('../packages/node/bin/devq.ts', import.meta.url))
const say = (line = ''): void => { process.stdout.write(line + '\n') }
const kb = (n: number): string => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`)

/** Runs the real `devq` CLI in `cwd` against peer A, echoing its output; resolves with that output. */
async function devq (cwd: string, dataDir: string, args: string[], names: Map<string, string>): Promise<string> {
  say(`$ devq ${args.join(' ')}`)
  const proc = spawn(process.execPath, [CLI, ...args, '--data-dir', dataDir], { cwd, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  proc.stdout.on('data', (chunk: Buffer) => {
    let text = chunk.toString()
    out += text
    for (const [id, name] of names) text = text.replaceAll(id.slice(0, 12), `peer ${name}`)
    process.stdout.write(text)
  })
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve))
  if (code !== 0) throw new Error(`devq ${args[0]} exited ${String(code)}`)
  return out
}

async function runAndReport (repo: string, a: NodeProc, names: Map<string, string>): Promise<Map<string, BuildJob>> {
  const out = await devq(repo, a.dataDir, ['run', '--wait'], names)
  const run = /^run ([0-9a-f]{32})/m.exec(out)![1]!
  const { jobs } = await a.get<{ jobs: BuildJob[] }>(`/v1/runs/${run}`)
  return new Map(jobs.map((j) => [j.pipelineJob, j]))
}

async function firstRun (repo: string, a: NodeProc, names: Map<string, string>, work: string): Promise<void> {
  say('\n== First run: the whole pipeline, built on B or C ==')
  const jobs = await runAndReport(repo, a, names)
  const out = join(work, 'artifacts')
  for (const job of jobs.values()) await devq(repo, a.dataDir, ['pull', job.id, '-o', out], names)
  say('$ ./artifacts/hello')
  const hello = spawn(join(out, 'hello'), [], { stdio: ['ignore', 'inherit', 'inherit'] })
  if (await new Promise((resolve) => hello.on('exit', resolve)) !== 0) throw new Error('the binary did not run')
}

async function secondRun (repo: string, a: NodeProc, names: Map<string, string>): Promise<void> {
  say('\n== Second run: one file changed ==')
  await writeFile(join(repo, 'src', 'part3.c'), helperSource(3, 40))
  const commit = await commitAll(repo, 'change part3')
  say('changed src/part3.c and committed it (not pushed anywhere)')
  const build = (await runAndReport(repo, a, names)).get('build')!
  const fetched = build.result?.fetched ?? { bytes: 0, objects: 0 }
  say(`source moved to the runner: ${fetched.objects} objects, ${kb(fetched.bytes)} (a full pack of this commit is ${kb(await fullPackBytes(repo, commit))})`)
  const compiled = (await logOf(a, build.id)).split('\n').filter((l) => /^cc .* -c /.test(l))
  say(`recompiled ${compiled.length} of 7 object files: ${compiled.join('; ')}`)
}

let cluster: Cluster | undefined
const work = await mkdtemp(join(tmpdir(), 'devq-demo-'))
try {
  say('DevQ demo: three peers on 127.0.0.1, data under ' + work)
  cluster = await startCluster(3, (i) => ['--slots', i === 0 ? '0' : '1'])
  await waitMeshed(cluster.nodes)
  const names = new Map(cluster.nodes.map((n, i) => [n.peerId, 'ABC'[i]!]))
  for (const [id, name] of names) say(`  peer ${name}  ${id}${name === 'A' ? '  (the developer\'s laptop: announces, builds nothing)' : ''}`)
  const repo = join(work, 'hello')
  await createCProject(repo)
  say(`sample C project with a Makefile and a .devq.yml in ${repo}`)
  await firstRun(repo, cluster.nodes[0]!, names, work)
  await secondRun(repo, cluster.nodes[0]!, names)
  say('\nDone: every artifact was verified by its sha256 on the way to A.')
} catch (err) {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
} finally {
  say('stopping the peers')
  await cluster?.stop()
  await removeDir(work)
}
