import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { waitMeshed, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, hasEnded, logOf, startRun, waitRun } from './builds.ts'
import { git } from './fixtures/c-project.ts'

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
    await expect(cluster.add(['--sandbox', 'off', '--labels', 'linux,devq:sandbox'])).rejects.toThrow(/--labels: labels\.1: labels starting with devq: are set by DevQ itself/)
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
})
