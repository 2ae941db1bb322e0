/** launchDevqNode: where the node it starts listens on the mesh. */
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { launchDevqNode, type LaunchedNode } from '../src/index.ts'
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

  it('with listen "config" the node listens where its config file says', async () => {
    const dir = await tempDataDir('launch-config')
    dirs.push(dir)
    const port = await freePort()
    await writeFile(join(dir, 'config.yml'), `listen:\n  - /ip4/127.0.0.1/tcp/${port}\n`)
    const node = await launchDevqNode({ dataDir: dir, listen: 'config' })
    started.push(node)
    expect(node.ready.addresses.some((a) => a.startsWith(`/ip4/127.0.0.1/tcp/${port}/`))).toBe(true)
  })

  it('with listen "config" the environment is part of the config', async () => {
    const dir = await tempDataDir('launch-env')
    dirs.push(dir)
    const port = await freePort()
    const node = await launchDevqNode({ dataDir: dir, listen: 'config', env: { ...process.env, DEVQ_LISTEN: `/ip4/127.0.0.1/tcp/${port}` } })
    started.push(node)
    expect(node.ready.addresses.some((a) => a.startsWith(`/ip4/127.0.0.1/tcp/${port}/`))).toBe(true)
  })

  it('an explicit listen list wins over the config file', async () => {
    const dir = await tempDataDir('launch-default')
    dirs.push(dir)
    const port = await freePort()
    await writeFile(join(dir, 'config.yml'), `listen:\n  - /ip4/127.0.0.1/tcp/${port}\n`)
    const node = await launchDevqNode({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'] })
    started.push(node)
    expect(node.ready.addresses.length).toBeGreaterThan(0)
    expect(node.ready.addresses.every((a) => a.startsWith('/ip4/127.0.0.1/tcp/') && !a.includes(`/tcp/${port}/`))).toBe(true)
  })
})
