/**
 * `npm run release`: the tarball installs with `npm install -g` into a fresh prefix, its `devq` and
 * `devq-node` commands work on this Node (the node serving the dashboard the tarball carries), and
 * on an older Node they say which one they need.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, delimiter, dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as DevqNode from '../packages/node/src/index.ts'
import { buildRelease } from './release.ts'
import { minimumNode } from './release-parts.ts'

const run = promisify(execFile)
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
const min = minimumNode(new URL('..', import.meta.url).pathname)

/** A `node` on the PATH older than 22, if this machine has one (Debian's own is 20). */
const oldNode = (spawnSync('which', ['-a', 'node'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((p) => p !== '')
  .find((p) => Number(/^v(\d+)/.exec(spawnSync(p, ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 99) < 22)

let work: string
let prefix: string
let daemon: ChildProcess | undefined
/** This Node first on the PATH, so the bins' `#!/usr/bin/env node` lines find it. */
const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: dirname(process.execPath) + delimiter + (process.env.PATH ?? '') })

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'devq-release-'))
  prefix = join(work, 'prefix')
})
afterAll(async () => {
  if (daemon !== undefined && daemon.exitCode === null && daemon.signalCode === null) {
    const exited = new Promise((resolve) => daemon!.on('exit', resolve))
    daemon.kill('SIGKILL')
    await exited
  }
  await rm(work, { recursive: true, force: true })
})

/** Waits for devq-node's `{"event":"ready"}` line; rejects when it exits first. */
async function ready (proc: ChildProcess): Promise<{ peerId: string, api: string }> {
  let stderr = ''
  proc.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000) })
  return await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.startsWith('{"event":"ready"')) resolve(JSON.parse(line) as { peerId: string, api: string })
    })
    proc.on('exit', (code) => { reject(new Error(`devq-node exited ${String(code)} before it was ready: ${stderr}`)) })
  })
}

describe('the release tarball', () => {
  it('installs with npm install -g and gives working devq and devq-node commands', async () => {
    const tarball = buildRelease(join(work, 'dist'))
    expect(basename(tarball)).toBe(`devq-${version}.tgz`)
    const files = (await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 })).stdout.split('\n')
    expect(files).toContain('package/apps/desktop/dist/renderer/index.html')
    expect(files.some((f) => /^package\/apps\/desktop\/dist\/renderer\/assets\/[^/]+\.js$/.test(f)), 'the dashboard\'s bundle').toBe(true)
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { env: env(), timeout: 100_000 })
    const bin = (name: string): string => join(prefix, 'bin', name)
    expect((await run(bin('devq'), ['--version'], { env: env() })).stdout.trim()).toBe(version)
    expect((await run(bin('devq-node'), ['--version'], { env: env() })).stdout.trim()).toBe(version)

    const dataDir = join(work, 'data')
    daemon = spawn(bin('devq-node'), ['--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--log-level', 'warn'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
    const { peerId, api } = await ready(daemon)
    const status = JSON.parse((await run(bin('devq'), ['status', '--json', '--data-dir', dataDir], { env: env() })).stdout) as { peer: { id: string } }
    expect(status.peer.id).toBe(peerId)
    const page = await fetch(`${api}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<div id="root">')
    const exited = new Promise<number | null>((resolve) => daemon!.on('exit', resolve))
    daemon.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 150_000)

  it('works as the library the packaged desktop app loads: its compiled @devq/node launches a node', async () => {
    const installed = join(prefix, 'lib', 'node_modules', 'devq')
    expect(existsSync(installed), 'the install above ran').toBe(true)
    // As the desktop app's devq-node-package.ts loads it from the release staged in its resources.
    const lib = await import(pathToFileURL(join(installed, 'packages', 'node', 'src', 'index.js')).href) as typeof DevqNode
    const node = await lib.launchDevqNode({ dataDir: join(work, 'lib-data') })
    try {
      expect(node.ready.peerId).toMatch(/^12D3Koo/)
      const api = await lib.connectApi(join(work, 'lib-data'))
      expect((await api.get<{ peer: { id: string } }>('/v1/views/status')).peer.id).toBe(node.ready.peerId)
    } finally {
      expect(await node.stop()).toBe(0)
    }
  }, 60_000)

  it.runIf(oldNode !== undefined)('tells an older Node which version it needs instead of failing on syntax', () => {
    expect(existsSync(join(prefix, 'bin', 'devq')), 'the install above ran').toBe(true)
    const old = spawnSync(oldNode!, ['--version'], { encoding: 'utf8' }).stdout.trim()
    const devq = spawnSync(oldNode!, [join(prefix, 'bin', 'devq'), '--version'], { encoding: 'utf8' })
    expect(devq.stderr).toBe(`devq needs Node.js ${min.major}.${min.minor} or newer; this is ${old}\n`)
    expect(devq.status).toBe(1)
    // devq-node through its own #! line, with the old Node first on the PATH.
    const node = spawnSync(join(prefix, 'bin', 'devq-node'), ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: dirname(oldNode!) + delimiter + (process.env.PATH ?? '') } })
    expect(node.stderr).toBe(`devq-node needs Node.js ${min.major}.${min.minor} or newer; this is ${old}\n`)
    expect(node.status).toBe(1)
  })
})
