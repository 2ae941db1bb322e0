/** The node link: it launches a node only when none answers for the data dir. Real nodes. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import { launchDevqNode, readRuntime, type LaunchOptions } from '@devq/node'
import { linkNode, type NodeLink } from '../src/main/node-link.ts'
import { loadDevqNode } from '../src/main/devq-node-package.ts'

/** @devq/node as the app loads it from the repository. */
const devqNode = await loadDevqNode()

const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']

describe('linkNode', () => {
  const links: NodeLink[] = []
  const dirs: string[] = []
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'devq-link-'))
    dirs.push(dir)
    return dir
  }
  afterEach(async () => {
    for (const link of links.splice(0).reverse()) await link.close()
    await Promise.all(dirs.splice(0).map(async (d) => { await rm(d, { recursive: true, force: true }) }))
  })

  it('launches a node when none runs, and a second link connects to that one instead of launching', async () => {
    const dir = await tempDir()
    const launches: LaunchOptions[] = []
    const launch = async (o: LaunchOptions) => { launches.push(o); return await launchDevqNode(o) }
    const first = await linkNode({ logger: silentLogger, node: devqNode, launch }, { dataDir: dir, listen: LOOPBACK })
    links.push(first)
    expect(first.launched).toBe(true)
    expect((await first.api.get<{ peer: { id: string } }>('/v1/views/status')).peer.id).toBe(first.peerId)

    const second = await linkNode({ logger: silentLogger, node: devqNode, launch }, { dataDir: dir, listen: LOOPBACK })
    links.push(second)
    expect(second.launched).toBe(false)
    expect(second.peerId).toBe(first.peerId)
    expect(launches).toHaveLength(1)
    expect(launches[0]).toMatchObject({ dataDir: dir, listen: LOOPBACK })
  })

  it('closing the link that launched the node stops it; closing one that found it does not', async () => {
    const dir = await tempDir()
    const owner = await linkNode({ logger: silentLogger, node: devqNode }, { dataDir: dir, listen: LOOPBACK })
    links.push(owner)
    const guest = await linkNode({ logger: silentLogger, node: devqNode }, { dataDir: dir, listen: LOOPBACK })
    await guest.close()
    expect((await owner.api.get<{ peer: { id: string } }>('/v1/views/status')).peer.id).toBe(owner.peerId)
    await owner.close()
    await owner.close()
    expect(await readRuntime(dir)).toBeUndefined()
  })

  it('launches a new node when the runtime file names one that does not answer', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'node.json'), JSON.stringify({ pid: 999_999, peerId: 'gone', api: 'http://127.0.0.1:9', addresses: [], startedAt: 1 }))
    expect(await readRuntime(dir)).toBeDefined()
    const link = await linkNode({ logger: silentLogger, node: devqNode }, { dataDir: dir, listen: LOOPBACK })
    links.push(link)
    expect(link.launched).toBe(true)
    expect(link.peerId).not.toBe('gone')
  })
})
