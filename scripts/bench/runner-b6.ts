/**
 * B6: one incremental source fetch. A repository of 2,000 files; a runner whose mirror holds commit
 * N fetches N+1, which changes five files, from another peer over a real libp2p direct stream
 * (two meshes in this process). The same change fetched by `git fetch` from a local `git daemon`
 * is the reference; a byte-counting TCP proxy in front of the daemon measures its bytes.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { silentLogger } from '../../packages/core/src/index.ts'
import { generateTeamKey } from '../../packages/p2p/src/index.ts'
import { createMirrors, createSourceServer, fetchSource, repoIdOf, rootCommits, findRepo } from '../../packages/runner/src/index.ts'
import { closeAll, createCluster } from '../../packages/p2p/test/helpers.ts'
import { commitAll, git } from '../../packages/node/test/fixtures/c-project.ts'

const FILES = 2_000
const CHANGED = 5
const SAMPLES = 5

/** Writes 2,000 text files of about 2 KB in 40 folders; returns their relative paths. */
async function writeRepo (dir: string): Promise<string[]> {
  const paths: string[] = []
  for (let i = 0; i < FILES; i++) {
    const rel = `src/m${i % 40}/file${i}.c`
    paths.push(rel)
    await mkdir(join(dir, `src/m${i % 40}`), { recursive: true })
    const lines = Array.from({ length: 40 }, (_, l) => `int f${i}_${l}(void) { return ${(i * 31 + l) % 997}; } /* ${randomBytes(6).toString('hex')} */`)
    await writeFile(join(dir, rel), lines.join('\n') + '\n')
  }
  return paths
}

/** Changes five files a little, as one commit does. */
async function changeFive (dir: string, paths: string[], round: number): Promise<string> {
  for (let k = 0; k < CHANGED; k++) {
    const rel = paths[(round * 97 + k * 389) % paths.length]!
    await writeFile(join(dir, rel), `/* change ${round}.${k} */\n`, { flag: 'a' })
  }
  return await commitAll(dir, `change ${round}`)
}

/** A TCP proxy that counts bytes going from the target back to the client. */
async function countingProxy (targetPort: number): Promise<{ port: number, down: () => number, close: () => void }> {
  let down = 0
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    upstream.on('data', (c: Buffer) => { down += c.length })
    client.pipe(upstream)
    upstream.pipe(client)
    const end = (): void => { client.destroy(); upstream.destroy() }
    client.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as { port: number }).port, down: () => down, close: () => { server.close() } }
}

async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((resolve) => s.close(() => { resolve() }))
  return port
}

async function nativeFetch (base: string, dev: string, paths: string[], rounds: number): Promise<{ bytes: number[], ms: number[] }> {
  const port = await freePort()
  const daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base], { stdio: 'ignore' })
  try {
    const proxy = await countingProxy(port)
    const clone = join(base, 'native-clone')
    for (let i = 0; i < 100; i++) {
      if (await execa('git', ['clone', '-q', `git://127.0.0.1:${proxy.port}/dev`, clone], { reject: false }).then((r) => r.exitCode === 0)) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const bytes: number[] = []
    const ms: number[] = []
    for (let r = 0; r < rounds; r++) {
      await changeFive(dev, paths, 100 + r)
      const before = proxy.down()
      const t0 = performance.now()
      await execa('git', ['-C', clone, 'fetch', '-q', 'origin'])
      ms.push(performance.now() - t0)
      bytes.push(proxy.down() - before)
    }
    proxy.close()
    return { bytes, ms }
  } finally {
    daemon.kill()
  }
}

async function devqFetch (dev: string, paths: string[], rounds: number, work: string): Promise<{ bytes: number[], ms: number[] }> {
  const [server, runner] = await createCluster(2, generateTeamKey())
  try {
    const repo = await findRepo(dev)
    const repoId = repoIdOf(await rootCommits(repo, (await git(dev, ['rev-parse', 'HEAD'])).trim()))
    const announced = new Set<string>()
    await server!.mesh.handleStream('git', createSourceServer({ locate: async () => [dev], announced: (_r, c) => announced.has(c), logger: silentLogger }))
    const mirrors = createMirrors({ root: join(work, 'mirrors') })
    const fetch = async (commit: string): Promise<{ bytes: number, ms: number }> => {
      announced.add(commit)
      const r = await fetchSource({ mirrors, dial: async (p) => await runner!.mesh.openStream(p, 'git'), logger: silentLogger }, { repo: repoId, commit, peers: [server!.mesh.peerId] })
      return { bytes: r.bytes, ms: r.ms }
    }
    await fetch((await git(dev, ['rev-parse', 'HEAD'])).trim())
    const bytes: number[] = []
    const ms: number[] = []
    for (let r = 0; r < rounds; r++) {
      const got = await fetch(await changeFive(dev, paths, r))
      bytes.push(got.bytes)
      ms.push(got.ms)
    }
    return { bytes, ms }
  } finally {
    await closeAll([server!, runner!])
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function runB6 (log: (line: string) => void): Promise<Record<string, number>> {
  const work = await mkdtemp(join(tmpdir(), 'devq-b6-'))
  try {
    const dev = join(work, 'dev')
    await mkdir(dev)
    const paths = await writeRepo(dev)
    await git(dev, ['init', '-q', '-b', 'main'])
    await commitAll(dev, 'base')
    log(`B6: ${FILES} files, ${CHANGED} changed per commit, ${SAMPLES} commits each way`)
    const ours = await devqFetch(dev, paths, SAMPLES, work)
    const native = await nativeFetch(work, dev, paths, SAMPLES)
    log(`  devq thin pack over a direct stream: bytes ${ours.bytes.join(', ')}; ms ${ours.ms.map((m) => m.toFixed(0)).join(', ')}`)
    log(`  git fetch from git daemon:          bytes ${native.bytes.join(', ')}; ms ${native.ms.map((m) => m.toFixed(0)).join(', ')}`)
    return {
      b6_incremental_bytes: median(ours.bytes),
      b6_incremental_ms: Math.round(median(ours.ms)),
      b6_native_git_bytes: median(native.bytes),
      b6_native_git_ms: Math.round(median(native.ms))
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
