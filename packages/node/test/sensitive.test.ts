import { spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { cli, waitFor, waitMeshed, type NodeProc } from './harness.ts'
import { validJson } from './cli-run.ts'
import { gridFixture } from './grid-fixture.ts'
import { build, logOf } from './builds.ts'

const CLI = fileURLToPath(new URL('../bin/devq.ts', import.meta.url))
const SECRET = 'hunter2-Zq8v-token'

const fx = gridFixture()
let server: Server | undefined
afterEach(() => { server?.close() })

/** `devq secret set NAME` with the value on stdin, as a user types it. */
async function setSecret (dataDir: string, name: string, value: string): Promise<void> {
  const proc = spawn(process.execPath, [CLI, 'secret', 'set', name, '--data-dir', dataDir], { stdio: ['pipe', 'ignore', 'inherit'] })
  proc.stdin.end(value + '\n')
  expect(await new Promise((resolve) => proc.on('exit', resolve))).toBe(0)
}

/** Every file under `dir` whose bytes contain `needle`. */
async function filesContaining (dir: string, needle: string): Promise<string[]> {
  const hits: string[] = []
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    if ((await readFile(path).catch(() => Buffer.alloc(0))).includes(needle)) hits.push(path)
  }
  return hits
}

const pipeline = (port: number): string => `version: 1
jobs:
  deploy:
    secrets: [DEPLOY_TOKEN]
    env: { PORT: "${port}" }
    steps:
      - echo "token is $DEPLOY_TOKEN"
      - printf '%s' "$DEPLOY_TOKEN" | base64
      - for i in $(seq 0 $((\${#DEPLOY_TOKEN} - 1))); do printf '%s' "\${DEPLOY_TOKEN:$i:1}"; sleep 0.02; done; echo
      - if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then echo NET-OPEN; else echo NET-BLOCKED; fi
      - echo built > out.txt
    artifacts: [{ name: out.txt, paths: [out.txt] }]
`

describe('sensitive jobs and secrets (real processes, real bubblewrap)', () => {
  it('runs only on a trusted peer, masks the secret however it is printed, has no network, and keeps its artifacts from others', async () => {
    // Node 0 (the admin) announces; node 1 becomes trusted; node 2 stays a plain member.
    const cluster = await fx.grid(3, (i) => ['--slots', i === 0 ? '0' : '1'])
    const [a, trusted, member] = cluster.nodes as [NodeProc, NodeProc, NodeProc]
    await waitMeshed(cluster.nodes)
    await a.post('/v1/team/members', { peer: trusted.peerId, role: 'trusted' })
    await waitFor('every peer to know the trusted member', async () => {
      for (const n of cluster.nodes) if ((await n.get<{ team: { members: Record<string, string> } }>('/v1/status')).team.members[trusted.peerId] !== 'trusted') return false
      return true
    })
    await setSecret(a.dataDir, 'DEPLOY_TOKEN', SECRET)
    expect(validJson('secretList', await cli(['secret', 'list', '--json', '--data-dir', a.dataDir]))).toEqual({ names: ['DEPLOY_TOKEN'] })
    server = createServer((s) => s.end())
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const repo = await fx.repo(pipeline((server.address() as { port: number }).port), 'sens')

    const job = (await build(a, repo)).jobs.get('deploy')!
    expect(job.status, JSON.stringify(job.attempts)).toBe('succeeded')
    expect(job.attempts.map((t) => t.runner)).toEqual([trusted.peerId])
    const log = await logOf(a, job.id)
    expect(log).toContain('token is ***')
    expect(log).toContain('NET-BLOCKED')
    expect(log).not.toContain(SECRET)
    expect(log).not.toContain(Buffer.from(SECRET).toString('base64'))
    expect(log.match(/\*\*\*/g)!.length).toBeGreaterThanOrEqual(3)
    // Never written anywhere but the origin's secret store: not in any ledger, log or mirror.
    for (const n of cluster.nodes) {
      const hits = (await filesContaining(n.dataDir, SECRET)).filter((p) => !p.startsWith(join(a.dataDir, 'secrets')))
      expect(hits, n.peerId).toEqual([])
    }
    const out = await fx.tempDir('sens-out')
    await expect(member.post('/v1/pull', { job: job.id, out })).rejects.toThrow(/sensitive/)
    expect((await a.post<{ files: unknown[] }>('/v1/pull', { job: job.id, out })).files).toHaveLength(1)
  }, 300_000)
})
