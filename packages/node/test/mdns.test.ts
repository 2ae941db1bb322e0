import { afterAll, describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cli, removeDir, tempDataDir, waitFor, type JobView, type StatusView } from './harness.ts'
import { createLan, NetnsRefused, nsApiGet, nsCli, startNsNode, type Lan, type NsNode } from './netns.ts'

/** Undo steps, run last-first in afterAll whether the test passed, failed or skipped. */
const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const undo of cleanups.splice(0).reverse()) {
    try { await undo() } catch (err) { console.warn(`mdns test cleanup: ${(err as Error).message}`) }
  }
})

/** Adds the nodes' logs to a failure, so a discovery failure says what the nodes saw. */
async function withLogs<T> (nodes: NsNode[], work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    const logs = nodes.map((n) => `--- ${n.ns} (${n.peerId}) ---\n${n.log().slice(-4_000)}`).join('\n')
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err })
  }
}

describe('mDNS discovery on a LAN (two network namespaces joined by a veth pair)', () => {
  it('two nodes with no bootstrap addresses find each other by mDNS and share a job', async (ctx) => {
    let lan: Lan
    try {
      lan = await createLan('devq-mdns')
    } catch (err) {
      // Only a lack of privilege skips (CI runs as root, so it runs this); any other failure fails.
      if (!(err instanceof NetnsRefused)) throw err
      console.warn(`skipping the mDNS test: ${err.message}`)
      return ctx.skip(err.message)
    }
    cleanups.push(lan.destroy)

    const dirA = await tempDataDir('mdns-a')
    const dirB = await tempDataDir('mdns-b')
    cleanups.push(async () => { await removeDir(dirA); await removeDir(dirB) })

    // A creates the team; its token is taken before A runs, so it carries no addresses to dial.
    await cli(['team', 'init', '--data-dir', dirA])
    const { token, addrs } = JSON.parse(await cli(['team', 'token', '--data-dir', dirA, '--json'])) as { token: string, addrs: string[] }
    expect(addrs).toEqual([])
    const joined = JSON.parse(await cli(['team', 'join', token, '--data-dir', dirB, '--json'])) as { bootstrap: string[] }
    expect(joined.bootstrap).toEqual([])
    expect((JSON.parse(await readFile(join(dirB, 'team.json'), 'utf8')) as { bootstrap: string[] }).bootstrap).toEqual([])

    const nodes: NsNode[] = []
    for (const [i, dir] of [dirA, dirB].entries()) {
      const node = await startNsNode(lan.ns[i]!, dir, ['--listen', `/ip4/${lan.addrs[i]!}/tcp/0`, '--mdns', '--slots', '1', '--log-level', 'info'])
      cleanups.push(node.kill)
      nodes.push(node)
    }
    const [a, b] = nodes as [NsNode, NsNode]
    expect(a.addresses.some((addr) => addr.startsWith(`/ip4/${lan.addrs[0]}/tcp/`))).toBe(true)

    const status = async (node: NsNode): Promise<StatusView> => await nsApiGet<StatusView>(node.ns, node.dataDir, '/v1/status')
    const started = Date.now()
    await withLogs(nodes, async () => {
      await waitFor('A and B to connect and hear each other (mDNS)', async () => {
        const [sa, sb] = [await status(a), await status(b)]
        return sa.connected.includes(b.peerId) && sb.connected.includes(a.peerId) &&
          sa.peers.some((p) => p.id === b.peerId) && sb.peers.some((p) => p.id === a.peerId)
      }, 45_000, 300)
    })
    console.warn(`mDNS: nodes connected and heard each other ${Date.now() - started} ms after both were ready`)

    const { ids } = JSON.parse(await nsCli(a.ns, ['submit', '--synthetic', '--duration', '100', '--json', '--data-dir', a.dataDir])) as { ids: string[] }
    expect(ids).toHaveLength(1)
    const id = ids[0]!
    const done = await withLogs(nodes, async () => await waitFor(`job ${id} to succeed as seen by A and B`, async () => {
      const [ja, jb] = [await nsApiGet<JobView>(a.ns, a.dataDir, `/v1/jobs/${id}`), await nsApiGet<JobView>(b.ns, b.dataDir, `/v1/jobs/${id}`)]
      return ja.status === 'succeeded' && jb.status === 'succeeded' ? jb : undefined
    }, 30_000, 300))
    expect(done.origin).toBe(a.peerId)
    expect([a.peerId, b.peerId]).toContain(done.result!.by)
  }, 120_000)
})
