/**
 * A real build on two devq-node processes, seen from the outside: its bytes in the metrics, its
 * output in the job's log, and the daemon's stderr JSON lines only (with libp2p's own at debug),
 * never a byte of what the steps printed.
 */
import { describe, expect, it } from 'vitest'
import { waitMeshed, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, logOf, waitPulled } from './builds.ts'
import { samplesOf, scrape, valueOf } from './scrape.ts'

const fx = gridFixture()

const ARTIFACT_BYTES = 200_000

/** The steps print text that their script does not hold (the shell computes it), so only their output can carry it. */
const PIPELINE = `version: 1
jobs:
  out:
    steps:
      - echo "devq-stdout-$((40 + 2))"; echo "devq-stderr-$((40 + 2))" >&2
      - head -c ${ARTIFACT_BYTES} /dev/urandom > blob.bin
    artifacts: [{ name: blob.bin, paths: [blob.bin] }]
`
const PRINTED = ['devq-stdout-42', 'devq-stderr-42']

/** Everything `node` writes to stderr from now on. */
function stderrOf (node: NodeProc): () => string {
  let text = ''
  node.proc.stderr!.on('data', (c: Buffer) => { text += c.toString() })
  return () => text
}

async function bytes (node: NodeProc, family: string, direction: string): Promise<number> {
  return valueOf(samplesOf((await scrape(node)).text), family, { direction })
}

describe('a real build, from the outside', () => {
  it('counts its source and artifact bytes, keeps its output in the job log and out of the daemon log', async () => {
    // A announces and pulls; B runs the build and logs at debug, libp2p included.
    const cluster = await fx.grid(2, (i) => (i === 0 ? ['--slots', '0'] : ['--slots', '1', '--log-level', 'debug']))
    const [a, b] = cluster.nodes as [NodeProc, NodeProc]
    const logs = { a: stderrOf(a), b: stderrOf(b) }
    await waitMeshed(cluster.nodes)
    const { jobs } = await build(a, await fx.repo(PIPELINE))
    const job = jobs.get('out')!
    expect(job.status, JSON.stringify(job.attempts)).toBe('succeeded')
    expect(job.result!.by).toBe(b.peerId)
    await waitPulled(a, job.id)
    const log = await logOf(a, job.id)
    for (const text of PRINTED) expect(log).toContain(text)

    expect(await bytes(a, 'devq_source_bytes_total', 'out')).toBeGreaterThan(0)
    expect(await bytes(b, 'devq_source_bytes_total', 'in')).toBeGreaterThan(0)
    expect(await bytes(a, 'devq_artifact_bytes_total', 'in')).toBeGreaterThanOrEqual(ARTIFACT_BYTES)
    expect(await bytes(b, 'devq_artifact_bytes_total', 'out')).toBeGreaterThanOrEqual(ARTIFACT_BYTES)

    const lines = logs.b().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
    const libp2p = lines.filter((l) => l.component === 'libp2p')
    expect(libp2p.length).toBeGreaterThan(0)
    for (const l of libp2p) expect(l).toMatchObject({ level: 20, peer_id: b.peerId, scope: expect.stringMatching(/libp2p|yamux|gossipsub|noise|tcp|pnet/) })
    // The node itself logged the build's steps (at debug), just not what they printed.
    expect(lines.filter((l) => l.msg === 'step finished').map((l) => ({ component: l.component, outcome: l.outcome, ms: typeof l.duration_ms }))).toEqual([
      { component: 'exec', outcome: 'succeeded', ms: 'number' }, { component: 'exec', outcome: 'succeeded', ms: 'number' }
    ])
    // A logs at warn (the tests' default): nothing of libp2p's reaches it.
    expect(logs.a()).not.toContain('"component":"libp2p"')
    for (const text of PRINTED) {
      expect(logs.b()).not.toContain(text)
      expect(logs.a()).not.toContain(text)
    }
  }, 300_000)
})
