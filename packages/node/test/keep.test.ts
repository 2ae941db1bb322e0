import { readdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { waitFor, waitMeshed, type Cluster, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, sha256File, startRun, waitRun } from './builds.ts'
import { commitAll, git } from './fixtures/c-project.ts'

const fx = gridFixture()

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

/** Digests of the blobs a peer holds. */
async function held (node: NodeProc): Promise<string[]> {
  return (await readdir(join(node.dataDir, 'artifacts', 'blobs', 'sha256')).catch(() => [])).map((h) => `sha256:${h}`)
}

/** `n` peers: an origin with no slots whose 1 MiB budget cannot hold the 3 MB artifact its repo's job makes, and runners. */
async function overBudgetOrigin (n: number): Promise<{ cluster: Cluster, a: NodeProc, repo: string }> {
  const cluster = await fx.grid(n, (i) => (i === 0 ? ['--slots', '0', '--artifact-budget-mb', '1'] : ['--slots', '1']))
  await waitMeshed(cluster.nodes)
  const repo = await fx.repo('version: 1\njobs:\n  big:\n    steps: ["head -c 3000000 /dev/urandom > big.bin"]\n    artifacts: [{ name: big, paths: [big.bin] }]\n')
  return { cluster, a: cluster.nodes[0]!, repo }
}

describe('what peers keep (real processes)', () => {
  it('serves a commit announced before a restart, pulls by digest, and reruns a cache: false job', async () => {
    // A fixed port, so the runner that joins later still finds the origin after its restart.
    const listen = ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]
    const cluster = await fx.grid(1, () => ['--slots', '0', ...listen])
    const origin = cluster.nodes[0]!
    const repo = await fx.repo(`version: 1
jobs:
  out:
    steps: ["echo $DEVQ_SHA > out.txt"]
    artifacts: [{ name: out.txt, paths: [out.txt] }]
  stamp:
    cache: false
    steps: ["date"]
`)
    const run = await startRun(origin, repo)
    // The origin restarts before any runner fetched: it finds the repository again by its repo id.
    await origin.stop()
    const back = await cluster.add(['--slots', '0', ...listen], cluster.dirs[0])
    await cluster.add(['--slots', '1'])
    await waitMeshed([back, cluster.nodes[2]!])
    const jobs = await waitRun(back, run.run)
    expect(jobs.get('out')!.status, JSON.stringify(jobs.get('out')!.attempts)).toBe('succeeded')
    const ref = jobs.get('out')!.result!.artifacts[0]!
    const out = await fx.tempDir('pull')
    const { files } = await back.post<{ files: { path: string }[] }>('/v1/pull', { digest: ref.digest, out })
    expect(await sha256File(files[0]!.path)).toBe(ref.digest)

    const again = (await build(back, repo, { again: true })).jobs
    expect(again.get('out')!.status).toBe('cached')
    expect(again.get('stamp')).toMatchObject({ status: 'succeeded', attempts: [{ outcome: 'succeeded' }] })
  }, 180_000)

  it('evicts old artifacts past its budget but keeps each branch\'s latest', async () => {
    const cluster = await fx.grid(2, (i) => (i === 0 ? ['--slots', '0'] : ['--slots', '1', '--artifact-budget-mb', '1']))
    const [a, runner] = cluster.nodes as [NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    const repo = await fx.repo(`version: 1
jobs:
  blob:
    steps: ["head -c 400000 /dev/urandom > blob.bin"]
    artifacts: [{ name: blob, paths: [blob.bin] }]
`)
    const digestOf = async (): Promise<string> => (await build(a, repo)).jobs.get('blob')!.result!.artifacts[0]!.digest
    await git(repo, ['checkout', '-q', '-b', 'feature'])
    await writeFile(join(repo, 'f.txt'), 'feature')
    await commitAll(repo, 'feature work')
    const feature = await digestOf()
    await git(repo, ['checkout', '-q', 'main'])
    const main: string[] = []
    for (let i = 0; i < 3; i++) {
      await writeFile(join(repo, 'n.txt'), String(i))
      await commitAll(repo, `main ${i}`)
      main.push(await digestOf())
    }
    await waitFor('the runner to evict down to its budget', async () => (await held(runner)).length <= 2, 60_000, 500)
    expect((await held(runner)).sort()).toEqual([feature, main[2]!].sort())
    // The origin has no such budget and keeps all four.
    expect((await held(a)).length).toBe(4)
  }, 240_000)

  it('does not pull an own job\'s artifacts that are larger than its budget, and says why', async () => {
    const { a, repo } = await overBudgetOrigin(2)
    const job = (await build(a, repo)).jobs.get('big')!
    expect(job.status).toBe('succeeded')
    const pulled = await waitFor('the origin to decide', async () => {
      const j = await a.get<{ pulled?: { state: string, detail?: string } }>(`/v1/jobs/${job.id}`)
      return j.pulled?.state === 'failed' ? j.pulled : undefined
    })
    expect(pulled.detail).toMatch(/more than this peer's artifact budget of 1048576 bytes/)
    expect(await held(a)).toEqual([])
  }, 120_000)

  it('reuses a result only while some live peer holds its artifacts', async () => {
    // The origin's budget is too small to pull the 3 MB artifact, so only its builder holds it.
    const { cluster, a, repo } = await overBudgetOrigin(3)
    const first = (await build(a, repo)).jobs.get('big')!
    expect(first.status).toBe('succeeded')
    await waitFor('the origin to give up its pull', async () => (await a.get<{ pulled?: { state: string } }>(`/v1/jobs/${first.id}`)).pulled?.state === 'failed')
    expect(await held(a)).toEqual([])

    await git(repo, ['commit', '-q', '--allow-empty', '-m', 'same tree'])
    const second = (await build(a, repo)).jobs.get('big')!
    expect(second.status, 'the builder still holds the artifact').toBe('cached')

    // The builder leaves: no live peer holds the artifact, so the same tree is built again.
    const builder = cluster.nodes.find((n) => n.peerId === first.result!.by)!
    await builder.stop()
    await git(repo, ['commit', '-q', '--allow-empty', '-m', 'same tree, builder gone'])
    const third = (await build(a, repo)).jobs.get('big')!
    expect(third.status, JSON.stringify(third.result)).toBe('succeeded')
    expect(third.attempts.map((t) => t.runner)).toEqual([cluster.nodes.find((n) => n !== a && n !== builder)!.peerId])
    expect(third.result!.artifacts[0]!.digest).not.toBe(first.result!.artifacts[0]!.digest)
  }, 180_000)
})
