import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor, waitMeshed, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { followLog, logBytes, logOf, processesOf, startRun, waitPulled, waitRun, type BuildJob } from './builds.ts'

const fx = gridFixture()
const gates: Gate[] = []
afterEach(() => { for (const g of gates.splice(0)) g.close() })

/** A line on loopback that steps wait for: each connection blocks on a read until `open` sends a word. */
interface Gate { port: number, waiting: () => number, open: (word: string) => void, close: () => void }

async function gate (): Promise<Gate> {
  const sockets: Socket[] = []
  const server: Server = createServer((s) => { sockets.push(s) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const g: Gate = {
    port: (server.address() as { port: number }).port,
    waiting: () => sockets.length,
    open: (word) => { for (const s of sockets) s.end(`${word}\n`) },
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    }
  }
  gates.push(g)
  return g
}

const job = async (node: NodeProc, id: string): Promise<BuildJob> => await node.get<BuildJob>(`/v1/jobs/${id}`)

/** The runner of the job's attempt `n` once that attempt runs. */
async function runningOn (node: NodeProc, id: string, n: number): Promise<string> {
  return await waitFor(`attempt ${n} of ${id.slice(0, 8)} to run`, async () => {
    const j = await job(node, id)
    return j.status === 'running' && j.attempt === n ? j.attempts.find((a) => a.n === n)!.runner : undefined
  })
}

// Attempt 1 prints for up to a minute (it stops by itself if nobody kills it); later attempts finish at once.
const LOST = `version: 1
jobs:
  long:
    retry: { max: 1, when: [runner_lost] }
    steps:
      - if [ "$DEVQ_ATTEMPT" = 1 ]; then for i in $(seq 1 120); do echo "tick $i"; sleep 0.5; done; fi; echo "built by attempt $DEVQ_ATTEMPT" > out.txt
    artifacts: [{ name: out.txt, paths: [out.txt] }]
`

describe('a build through its life (real processes)', () => {
  it('a runner killed mid-step loses its attempt as runner_lost; attempt 2 runs on another peer and its artifact reaches the origin', async () => {
    // A only announces and coordinates; a short lease so the loss is judged in seconds.
    const cluster = await fx.grid(3, (i) => ['--slots', i === 0 ? '0' : '1', '--lease-ms', '3000'])
    const [a] = cluster.nodes as [NodeProc]
    await waitMeshed(cluster.nodes)
    const run = await startRun(a, await fx.repo(LOST, 'lost'))
    const id = run.jobs[0]!.id
    const first = await runningOn(a, id, 1)
    const b = cluster.nodes.find((n) => n.peerId === first)!
    const c = cluster.nodes.find((n) => n !== a && n !== b)!
    await waitFor('the step to print on B', async () => (await logOf(a, id, 1)).includes('tick 3'))
    expect((await processesOf(id, 1)).length).toBeGreaterThan(0)

    await b.kill()
    // The step dies with its runner (bubblewrap --die-with-parent and its own pid namespace).
    await waitFor('the killed runner\'s steps to be gone', async () => (await processesOf(id, 1)).length === 0, 30_000)
    const done = (await waitRun(a, run.run, 120_000)).get('long')!
    expect(done.status, JSON.stringify(done.attempts)).toBe('succeeded')
    expect(done.attempts).toMatchObject([
      { n: 1, runner: b.peerId, outcome: 'lost', failure: 'runner_lost' },
      { n: 2, runner: c.peerId, outcome: 'succeeded' }
    ])
    expect(done.result).toMatchObject({ by: c.peerId, attempt: 2 })
    // The origin kept what attempt 1 printed before its runner died.
    expect(await logOf(a, id, 1)).toContain('tick 3')

    await waitPulled(a, id)
    await c.kill()
    const out = await fx.tempDir('lost-out')
    // With both runners gone, the origin hands out attempt 2's artifact from its own store.
    const { files } = await a.post<{ files: { path: string, digest: string }[] }>('/v1/pull', { job: id, out })
    expect(files.map((f) => f.digest)).toEqual(done.result!.artifacts.map((r) => r.digest))
    expect(await readFile(files[0]!.path, 'utf8')).toBe('built by attempt 2\n')
  }, 240_000)

  it('follows a log live through the control API, line by line while the step runs, to its end; the finished job names the digest of those bytes', async () => {
    // A announces; B or C runs; the other follows through a relay from the runner.
    const cluster = await fx.grid(3, (i) => ['--slots', i === 0 ? '0' : '1'])
    const [a] = cluster.nodes as [NodeProc]
    await waitMeshed(cluster.nodes)
    const g = await gate()
    const repo = await fx.repo(`version: 1
jobs:
  talk:
    steps:
      - name: gate
        run: |
          echo "before the gate"
          exec 3<>/dev/tcp/127.0.0.1/${g.port}
          read -r -t 120 word <&3
          echo "through the gate: $word"
      - name: last
        run: echo "second step"
`, 'follow')
    const run = await startRun(a, repo)
    const id = run.jobs[0]!.id
    const runnerId = await runningOn(a, id, 1)
    const runner = cluster.nodes.find((n) => n.peerId === runnerId)!
    const relay = cluster.nodes.find((n) => n !== a && n !== runner)!
    // The step has begun once it waits at the gate, so both peers find a log to follow.
    await waitFor('the step to wait at the gate', async () => g.waiting() > 0)
    const followers = [await followLog(a, id), await followLog(relay, id)]
    try {
      for (const f of followers) {
        const sofar = await f.until('the first line', (t) => t.includes('before the gate\n'))
        expect(sofar).not.toContain('through the gate')
      }
      // The step cannot end before the gate opens: these lines came while it ran.
      expect((await job(a, id)).status).toBe('running')
      g.open('open')
      const texts = await Promise.all(followers.map(async (f) => await f.rest()))
      const done = (await waitRun(a, run.run)).get('talk')!
      expect(done.status).toBe('succeeded')
      const after = await logBytes(runner, id)
      expect(after.toString()).toMatch(/through the gate: open\n[^]*second step\n\[devq\] step last succeeded/)
      for (const text of texts) expect(text).toBe(after.toString())
      for (const node of [a, relay]) expect(await logBytes(node, id)).toEqual(after)
      expect(done.result!.logDigest).toBe(`sha256:${createHash('sha256').update(after).digest('hex')}`)
    } finally {
      for (const f of followers) await f.close()
    }
  }, 180_000)
})
