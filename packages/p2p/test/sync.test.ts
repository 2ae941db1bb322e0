/** The sync protocol against real peers: batching in rounds, hostile requests and hostile answers. */
import { afterEach, describe, expect, it } from 'vitest'
import { canonicalBytes, createEvent, generateSigner, type Signer } from '@devq/core'
import { generateTeamKey, limits } from '../src/index.ts'
import { HostileFixture } from './attacker.ts'
import { announceBody, chainEvents, createPeer, waitFor } from './helpers.ts'

const fx = new HostileFixture()
afterEach(async () => { await fx.close() })

describe('sync', () => {
  it('pulls a long history in capped rounds', async () => {
    const key = generateTeamKey()
    const source = await createPeer(key, { start: false })
    fx.peers.push(source)
    const signer = generateSigner()
    const total = limits.SYNC_MAX_EVENTS * 2 + 200
    const result = await source.ledger.ingest(await chainEvents(signer, total))
    expect(result.accepted).toHaveLength(total)
    await source.mesh.start()
    const sink = await createPeer(key, { bootstrap: source.mesh.addresses().slice(0, 1), syncIntervalMs: 60_000 })
    fx.peers.push(sink)
    await waitFor('the whole history', () => sink.ledger.size() === total)
    expect(sink.fold.stateHash()).toBe(source.fold.stateHash())
    const stats = sink.mesh.stats().syncs
    expect(stats.rounds).toBeGreaterThanOrEqual(3)
    expect(stats.eventsAccepted).toBe(total)
    expect(source.mesh.stats().syncs.eventsServed).toBeGreaterThanOrEqual(total)
  })

  it('refuses malformed and oversized requests and rate-limits a flood, counting each', async () => {
    const { victim, attacker } = await fx.pair()
    await victim.announce(1)
    expect(JSON.parse(Buffer.from(await attacker.syncRequest(canonicalBytes({ vv: {} }))).toString())).toEqual({ n: 1 })
    await expect(attacker.syncRequest(new TextEncoder().encode('garbage'))).rejects.toThrow()
    const huge = Object.fromEntries(Array.from({ length: limits.SYNC_MAX_VECTOR_ENTRIES + 1 }, (_, i) => [`p${i}`, 0]))
    await expect(attacker.syncRequest(canonicalBytes({ vv: huge }))).rejects.toThrow()
    await expect(attacker.syncRequest(new Uint8Array(limits.SYNC_MAX_REQUEST_BYTES + 1).fill(0x20))).rejects.toThrow()
    expect(victim.mesh.stats().rejected.sync.bad_request).toBe(3)

    let refused = 0
    for (let i = 0; i < limits.SYNC_RATE.burst + 10; i++) {
      await attacker.syncRequest(canonicalBytes({ vv: {} })).catch(() => { refused++ })
    }
    expect(refused).toBeGreaterThan(0)
    expect(victim.mesh.stats().rateLimited.sync).toBeGreaterThan(0)
    expect(victim.ledger.size()).toBe(1)
  })

  it('ingests nothing forged from a hostile answer and fails on a broken one', async () => {
    const { victim, attacker } = await fx.pair()
    const impostor: Signer = { peerId: generateSigner().peerId, sign: generateSigner().sign }
    const forged = await createEvent(impostor, { seq: 1, prev: null, lamport: 1, time: Date.now() }, 'job.announced', announceBody(1))

    await attacker.serveSync([canonicalBytes({ n: 1 }), forged.bytes])
    await expect(victim.mesh.syncWith(attacker.peerId)).resolves.toMatchObject({ received: 1, accepted: 0 })
    expect(victim.mesh.stats().rejected.sync.bad_signature).toBeGreaterThanOrEqual(1)

    await attacker.serveSync([canonicalBytes({ n: 1 }), new Uint8Array(limits.SYNC_MAX_ANSWER_FRAME_BYTES + 1)])
    await expect(victim.mesh.syncWith(attacker.peerId)).rejects.toMatchObject({ name: 'SyncError', retryable: true })
    await attacker.serveSync([canonicalBytes({ n: limits.SYNC_MAX_EVENTS + 1 })])
    await expect(victim.mesh.syncWith(attacker.peerId)).rejects.toMatchObject({ name: 'SyncError' })
    expect(victim.mesh.stats().rejected.sync.bad_answer).toBeGreaterThanOrEqual(2)
    expect(victim.ledger.size()).toBe(0)
  })
})
