/** Two real meshes with real ledgers: heartbeats, not a timer, start the syncs. */
import { afterEach, describe, expect, it } from 'vitest'
import { generateSigner, type PresenceInfo } from '@devq/core'
import { chainEvents, closeAll, converged, createCluster, fullyConnected, presenceOf, waitFor, type TestPeer } from './helpers.ts'

let peers: TestPeer[] = []
afterEach(async () => {
  await closeAll(peers)
  peers = []
})

/**
 * Both peers send a heartbeat; resolves once each has heard the other's. One sent before the
 * peers learned each other's subscriptions reaches no one (there is no lazy gossip to carry it
 * later), so each sends again every 250 ms until heard, as the node's own heartbeats would.
 */
async function beatOnce (a: TestPeer, b: TestPeer, heard: PresenceInfo[][], time: number): Promise<void> {
  const [before0, before1] = [heard[0]!.length, heard[1]!.length]
  const deadline = Date.now() + 10_000
  while (!(heard[0]!.length > before0 && heard[1]!.length > before1)) {
    if (Date.now() > deadline) throw new Error('timed out waiting for both heartbeats to arrive')
    if (heard[1]!.length === before1) await a.mesh.publishPresence(presenceOf(a.mesh.peerId, time))
    if (heard[0]!.length === before0) await b.mesh.publishPresence(presenceOf(b.mesh.peerId, time))
    await waitFor('both heartbeats to arrive', () => heard[0]!.length > before0 && heard[1]!.length > before1, 250, 20).catch(() => {})
  }
}

describe('sync on a ledger difference', () => {
  it('a quiet pair exchanges heartbeats without a sync; an event gossip never carried arrives by the next heartbeats', async () => {
    // No periodic sync in this test's lifetime: only connects and heartbeats can start one.
    peers = await createCluster(2, undefined, () => ({ syncIntervalMs: 3_600_000 }))
    const [a, b] = peers as [TestPeer, TestPeer]
    await waitFor('a full mesh', () => fullyConnected(peers))
    const heard: PresenceInfo[][] = [[], []]
    a.mesh.onPresence((info) => { heard[0]!.push(info) })
    b.mesh.onPresence((info) => { heard[1]!.push(info) })
    let time = Date.now()
    await beatOnce(a, b, heard, time++)
    const idle = b.mesh.stats().syncs.started + a.mesh.stats().syncs.started
    for (let i = 0; i < 4; i++) await beatOnce(a, b, heard, time++)
    expect(b.mesh.stats().syncs.started + a.mesh.stats().syncs.started).toBe(idle)

    // Events of a third author reach a's ledger by hand: a gossips only its own, so b has no
    // copy and no gap to notice.
    const missing = await chainEvents(generateSigner(), 3)
    await a.ledger.ingest(missing.map((e) => e.bytes))
    expect(b.ledger.size()).toBe(a.ledger.size() - 3)
    for (let i = 0; i < 10 && !converged(peers); i++) await beatOnce(a, b, heard, time++)
    await waitFor('the events to reach b', () => converged(peers), 10_000)
    expect(b.mesh.stats().syncs.eventsAccepted).toBeGreaterThanOrEqual(3)
  })
})
