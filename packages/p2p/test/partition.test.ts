/** `block`/`unblock` split the mesh in two and heal it; the ledgers converge after healing. */
import { afterEach, describe, expect, it } from 'vitest'
import { generateTeamKey } from '../src/index.ts'
import { closeAll, converged, createCluster, createPeer, fullyConnected, waitFor, type TestPeer } from './helpers.ts'

let peers: TestPeer[] = []
afterEach(async () => {
  await closeAll(peers)
  peers = []
})

function has (peer: TestPeer, author: TestPeer, seq: number): boolean {
  return (peer.ledger.versionVector()[author.mesh.peerId] ?? 0) >= seq
}

describe('partitions', () => {
  it('splits and heals, then converges', async () => {
    peers = await createCluster(3)
    const [a, b, c] = peers as [TestPeer, TestPeer, TestPeer]
    await waitFor('a full mesh', () => fullyConnected(peers))
    await a.announce(2)
    await waitFor('convergence before the split', () => converged(peers))

    await a.mesh.block([b.mesh.peerId, c.mesh.peerId])
    await b.mesh.block([a.mesh.peerId])
    await c.mesh.block([a.mesh.peerId])
    await waitFor('the split', () => a.mesh.connectedPeers().length === 0 &&
      !b.mesh.connectedPeers().includes(a.mesh.peerId) && !c.mesh.connectedPeers().includes(a.mesh.peerId))

    await a.announce(3)
    await b.announce(4)
    await waitFor('b and c to agree', () => converged([b, c]))
    expect(has(c, b, 4)).toBe(true)
    // Nothing crosses the split, whatever the timers do meanwhile.
    await expect(a.mesh.syncWith(b.mesh.peerId)).rejects.toMatchObject({ name: 'SyncError' })
    expect(has(a, b, 1)).toBe(false)
    expect(has(b, a, 3)).toBe(false)
    expect(has(c, a, 3)).toBe(false)

    for (const p of peers) p.mesh.unblock()
    await waitFor('the heal', () => fullyConnected(peers))
    await waitFor('convergence after the heal', () => converged(peers))
    for (const p of peers) expect(p.ledger.size()).toBe(9)
  })

  it('peers that joined through one bootstrap peer find each other and outlive it', async () => {
    const key = generateTeamKey()
    const hub = await createPeer(key)
    peers.push(hub)
    const bootstrap = hub.mesh.addresses().slice(0, 1)
    const b = await createPeer(key, { bootstrap })
    peers.push(b)
    const c = await createPeer(key, { bootstrap })
    peers.push(c)
    await waitFor('b and c to connect through peer exchange', () => fullyConnected(peers))
    expect(b.mesh.stats().discovery.learned + c.mesh.stats().discovery.learned).toBeGreaterThan(0)
    await hub.close()
    await b.announce(2)
    await waitFor('c to get b\'s events without the hub', () => converged([b, c]) && c.ledger.size() === 2)
  })
})
