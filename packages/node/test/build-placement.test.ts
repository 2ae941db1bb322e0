import { randomBytes } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { execa } from 'execa'
import { waitFor, waitMeshed, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, hasEnded, logOf, startRun, waitRun, type BuildJob } from './builds.ts'
import { commitAll, git } from './fixtures/c-project.ts'

const fx = gridFixture()
let server: Server | undefined
afterEach(() => { server?.close() })

interface PeerStatus { peer: { labels: string[] } }
const labelsOf = async (node: NodeProc): Promise<string[]> => (await node.get<PeerStatus>('/v1/status')).peer.labels

/** A loopback port that accepts and closes connections: a step can tell whether it has the network. */
async function listening (): Promise<number> {
  server = createServer((s) => s.end())
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

const linesOf = async (node: NodeProc, job: string): Promise<string[]> => (await logOf(node, job)).split('\n')
const probe = (port: number): string => `if (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; then echo NET-OPEN; else echo NET-BLOCKED; fi`

describe('where builds run and where their source comes from (real processes)', () => {
  it('a runner with --sandbox off never gets a job that needs the sandbox, though it has more free slots, and cannot claim the sandbox label', async () => {
    // A announces; S can sandbox and has one slot; U has the sandbox off, two slots and a label of its own.
    const args = [['--slots', '0'], ['--slots', '1'], ['--slots', '2', '--sandbox', 'off', '--labels', 'linux,x64,plain']]
    const cluster = await fx.grid(3, (i) => args[i]!)
    await waitMeshed(cluster.nodes)
    const [a, ...runners] = cluster.nodes as [NodeProc, NodeProc, NodeProc]
    // Members join at once, so find each by what it says of itself.
    const u = (await Promise.all(runners.map(async (n) => (await labelsOf(n)).includes('plain') ? n : undefined))).find((n) => n !== undefined)!
    const s = runners.find((n) => n !== u)!
    expect(await labelsOf(s)).toContain('devq:sandbox')
    expect(await labelsOf(u)).not.toContain('devq:sandbox')
    const port = await listening()
    const repo = await fx.repo(`version: 1
jobs:
  online:
    runs-on: plain
    steps: [{ name: probe, run: "${probe(port)}" }]
  offline:
    matrix: { N: [1, 2, 3, 4] }
    network: false
    steps: [{ name: probe, run: "${probe(port)}" }]
`, 'sandbox')
    const { jobs } = await build(a, repo)
    // U takes work (a job only it can run, with the network it has).
    expect(jobs.get('online')).toMatchObject({ status: 'succeeded', attempts: [{ runner: u.peerId }] })
    expect(await linesOf(a, jobs.get('online')!.id)).toContain('NET-OPEN')
    const offline = [...jobs.values()].filter((j) => j.pipelineJob.startsWith('offline'))
    expect(offline).toHaveLength(4)
    for (const j of offline) {
      expect(j.labels).toContain('devq:sandbox')
      expect(j.status, JSON.stringify(j.attempts)).toBe('succeeded')
      expect(j.attempts.map((t) => t.runner)).toEqual([s.peerId])
      expect(await linesOf(a, j.id)).toContain('NET-BLOCKED')
    }
    // Nor can a peer without the sandbox claim its label by hand.
    await expect(cluster.add(['--sandbox', 'off', '--labels', 'linux,devq:sandbox'])).rejects.toThrow(/--labels: entry 2: labels starting with devq: are set by DevQ itself/)
  }, 240_000)

  it('builds a commit on a peer that joined after its origin left, with the source from another runner\'s mirror', async () => {
    const cluster = await fx.grid(2, (i) => ['--slots', i === 0 ? '0' : '1', '--lease-ms', '3000'])
    const [a, b] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    // `second` needs a label no peer has yet: it waits in the queue until C comes.
    const repo = await fx.repo({
      'data.txt': 'from the origin\n',
      '.devq.yml': 'version: 1\njobs:\n  first:\n    steps: ["cat data.txt"]\n  second:\n    runs-on: late\n    steps: ["cat data.txt"]\n'
    }, 'mirror')
    const commit = await git(repo, ['rev-parse', 'HEAD'])
    const run = await startRun(a, repo)
    const before = await waitRun(a, run.run, 120_000, (j) => j.pipelineJob === 'second' || hasEnded(j.status))
    expect(before.get('first')).toMatchObject({ status: 'succeeded', result: { by: b.peerId } })
    expect(await logOf(b, before.get('first')!.id)).toContain(`fetched ${commit.slice(0, 12)}`)
    expect(before.get('second')!.status).toBe('queued')

    await a.stop()
    expect(await a.exited).toBe(0)
    const c = await cluster.add(['--slots', '1', '--lease-ms', '3000', '--labels', 'late', '--bootstrap', b.addresses[0]!])
    await waitMeshed([b, c])
    const second = (await waitRun(b, run.run, 120_000)).get('second')!
    expect(second.status, JSON.stringify(second.attempts)).toBe('succeeded')
    expect(second.result!.by).toBe(c.peerId)
    const log = await logOf(c, second.id)
    expect(log).toMatch(new RegExp(`fetched ${commit.slice(0, 12)}: \\d+ objects, \\d+ bytes from ${b.peerId}`))
    expect(log).toContain('from the origin')
  }, 240_000)

  it('shows a fetch under way in the job record: phase fetching with the objects and bytes received so far', async () => {
    // The origin's git sends the first 64 KiB of each pack, then holds the rest until the test opens
    // the gate, so the fetch is caught under way without a race (it lets go by itself after a minute
    // or when the node is gone).
    const shim = await fx.tempDir('git-shim')
    const gateFile = join(shim, 'open')
    const realGit = (await execa('sh', ['-c', 'command -v git'])).stdout.trim()
    await writeFile(join(shim, 'git'), `#!/bin/sh
case " $* " in *" pack-objects "*) ;; *) exec '${realGit}' "$@" ;; esac
'${realGit}' "$@" | {
  dd bs=65536 count=1 iflag=fullblock status=none
  n=0
  while [ ! -e '${gateFile}' ] && [ $n -lt 600 ] && kill -0 $PPID 2>/dev/null; do sleep 0.1; n=$((n + 1)); done
  exec cat
}
`)
    await chmod(join(shim, 'git'), 0o755)
    const cluster = await fx.grid(1, () => ['--slots', '1'])
    const a = await cluster.add(['--slots', '0'], undefined, { PATH: `${shim}:${process.env.PATH ?? ''}` })
    await waitMeshed(cluster.nodes)
    const repo = await fx.repo('version: 1\njobs:\n  big:\n    steps: ["du -sb blobs"]\n', 'big')
    await mkdir(join(repo, 'blobs'))
    for (let i = 0; i < 3; i++) await writeFile(join(repo, 'blobs', `${i}.bin`), randomBytes(1024 * 1024))
    await commitAll(repo, 'three random MiB')
    const objects = (await git(repo, ['rev-list', '--objects', 'HEAD'])).split('\n').length
    const run = await startRun(a, repo)
    const id = run.jobs[0]!.id

    const seen = await waitFor('the fetch to show under way', async () => {
      const j = await a.get<BuildJob>(`/v1/jobs/${id}`)
      return j.activity?.phase === 'fetching' && j.activity.bytes === 65536 ? j : undefined
    })
    expect(seen.status).toBe('running')
    expect(seen.activity).toMatchObject({ phase: 'fetching', bytes: 65536, objects })
    await writeFile(gateFile, '')
    const done = (await waitRun(a, run.run)).get('big')!
    expect(done.status).toBe('succeeded')
    expect(done.result!.fetched!.objects).toBe(objects)
    expect(done.result!.fetched!.bytes).toBeGreaterThan(3 * 1024 * 1024)
    expect(await logOf(a, id)).toContain(`${objects} objects, ${done.result!.fetched!.bytes} bytes from ${a.peerId}`)
  }, 240_000)
})
