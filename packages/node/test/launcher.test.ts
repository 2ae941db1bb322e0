/** launchDevqNode: where the node it starts listens on the mesh. */
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { launchDevqNode, type LaunchedNode, type LaunchOptions } from '../src/index.ts'
import { removeDir, tempDataDir } from './harness.ts'

/** A TCP port that was free a moment ago on 127.0.0.1. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

describe('launchDevqNode listen', () => {
  const started: LaunchedNode[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map(async (n) => await n.stop()))
    await Promise.all(dirs.splice(0).map(removeDir))
  })

  /** A node launched with `options` on a new data dir whose config file, if given, listens on `port`; its mesh addresses. */
  async function launched (name: string, port: number, options: Omit<LaunchOptions, 'dataDir'>, config: boolean): Promise<string[]> {
    const dir = await tempDataDir(name)
    dirs.push(dir)
    if (config) await writeFile(join(dir, 'config.yml'), `listen:\n  - /ip4/127.0.0.1/tcp/${port}\n`)
    const node = await launchDevqNode({ dataDir: dir, ...options })
    started.push(node)
    return node.ready.addresses
  }
  const on = (port: number) => (a: string): boolean => a.startsWith(`/ip4/127.0.0.1/tcp/${port}/`)

  it('with listen "config" the node listens where its config file says', async () => {
    const port = await freePort()
    expect((await launched('launch-config', port, { listen: 'config' }, true)).some(on(port))).toBe(true)
  })

  it('with listen "config" the environment is part of the config', async () => {
    const port = await freePort()
    expect((await launched('launch-env', port, { listen: 'config', env: { ...process.env, DEVQ_LISTEN: `/ip4/127.0.0.1/tcp/${port}` } }, false)).some(on(port))).toBe(true)
  })

  it('an explicit listen list wins over the config file', async () => {
    const port = await freePort()
    const addresses = await launched('launch-default', port, { listen: ['/ip4/127.0.0.1/tcp/0'] }, true)
    expect(addresses.length).toBeGreaterThan(0)
    expect(addresses.every((a) => a.startsWith('/ip4/127.0.0.1/tcp/') && !on(port)(a))).toBe(true)
  })
})
