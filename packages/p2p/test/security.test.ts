/** Outsiders and hostile members: team key, forged presence, forged, oversized and replayed events. */
import { afterEach, describe, expect, it } from 'vitest'
import { canonicalBytes, createEvent, generateSigner, type PresenceInfo, type Signer } from '@devq/core'
import { generateTeamKey, limits } from '../src/index.ts'
import { createAttacker, HostileFixture } from './attacker.ts'
import { announceBody, createCluster, createPeer, fullyConnected, presenceOf, waitFor } from './helpers.ts'

const fx = new HostileFixture()
afterEach(async () => { await fx.close() })

function at<T> (list: readonly T[], i: number): T {
  const item = list[i]
  if (item === undefined) throw new Error(`no item ${i}`)
  return item
}

let forgedSeq = 0

/** A heartbeat envelope signed by `signer` whatever `info.peer` says, as a forger would make it. */
async function signedPresence (signer: Signer, info: PresenceInfo): Promise<Uint8Array> {
  const signed = { info, boot: 'f'.repeat(22), seq: ++forgedSeq }
  const sig = Buffer.from(await signer.sign(canonicalBytes(signed))).toString('base64url')
  return canonicalBytes({ ...signed, sig })
}

describe('team key', () => {
  it('a peer with another team key cannot connect; a member can', async () => {
    const key = generateTeamKey()
    const hub = await createPeer(key)
    fx.peers.push(hub)
    const bootstrap = hub.mesh.addresses().slice(0, 1)
    const intruder = await createPeer(generateTeamKey(), { bootstrap })
    fx.peers.push(intruder)
    const member = await createPeer(key, { bootstrap })
    fx.peers.push(member)
    await hub.announce(2)
    await waitFor('the member to connect', () => hub.mesh.connectedPeers().includes(member.mesh.peerId))
    await waitFor('the member to sync', () => member.ledger.size() === 2)
    await expect(intruder.mesh.syncWith(hub.mesh.peerId)).rejects.toMatchObject({ name: 'SyncError', retryable: true })
    expect(hub.mesh.connectedPeers()).not.toContain(intruder.mesh.peerId)
    expect(intruder.mesh.connectedPeers()).toEqual([])
    expect(intruder.ledger.size()).toBe(0)
  })
})

describe('presence', () => {
  it('reaches the other peers; forged and non-member presence is rejected and counted', async () => {
    const members = new Set<string>()
    const key = generateTeamKey()
    const peers = await createCluster(3, key, () => ({ isMember: (id) => members.has(id) }))
    fx.peers.push(...peers)
    for (const p of peers) members.add(p.mesh.peerId)
    const [a, b, c] = [at(peers, 0), at(peers, 1), at(peers, 2)]
    const heard: PresenceInfo[][] = peers.map(() => [])
    peers.forEach((p, i) => p.mesh.onPresence((info) => { heard[i]?.push(info) }))
    await waitFor('a full mesh', () => fullyConnected(peers))

    let time = Date.now()
    const fromA = (list: PresenceInfo[] | undefined): boolean => list?.some((info) => info.peer === a.mesh.peerId) === true
    await waitFor('a heartbeat at b and c', async () => {
      await a.mesh.publishPresence(presenceOf(a.mesh.peerId, time++))
      return fromA(heard[1]) && fromA(heard[2])
    }, 30_000, 200)
    expect(heard[0]).toEqual([])

    const attacker = await createAttacker(key, at(b.mesh.addresses(), 0))
    fx.attackers.push(attacker)
    // c may only hear the attacker through b: peer exchange would otherwise let c dial it directly.
    await c.mesh.block([attacker.peerId])
    const outsider = generateSigner()
    const forged = presenceOf(a.mesh.peerId, time + 1_000_000, 'forged')
    await attacker.publish('presence', await signedPresence(outsider, forged))
    await attacker.publish('presence', await signedPresence(outsider, presenceOf(outsider.peerId, time, 'outsider')))
    await waitFor('the forgery to be rejected', () => (b.mesh.stats().rejected.presence.bad_signature ?? 0) >= 1)
    await waitFor('the outsider to be rejected', () => (b.mesh.stats().rejected.presence.not_member ?? 0) >= 1)
    expect(heard.flat().filter((info) => info.version !== 'test')).toEqual([])
    expect(c.mesh.stats().rejected.presence).toEqual({})
  })

  it('refuses to publish a heartbeat naming another peer', async () => {
    const peers = await createCluster(1)
    fx.peers.push(...peers)
    const other = generateSigner().peerId
    await expect(at(peers, 0).mesh.publishPresence(presenceOf(other, Date.now()))).rejects.toMatchObject({ name: 'PresenceEncodeError' })
  })
})

describe('hostile ledger gossip', () => {
  it('rejects forged and oversized events, ignores replays, and changes nothing', async () => {
    const key = generateTeamKey()
    const author = await createPeer(key, { start: false })
    fx.peers.push(author)
    // Appended before the mesh starts, so these events reach the victim by sync only, never gossip.
    const events = await author.announce(3)
    await author.mesh.start()
    const victim = await createPeer(key, { bootstrap: author.mesh.addresses().slice(0, 1) })
    fx.peers.push(victim)
    await waitFor('the victim to sync', () => victim.ledger.size() === 3)
    const vv = victim.ledger.versionVector()
    const hash = victim.fold.stateHash()

    const attacker = await createAttacker(key, at(victim.mesh.addresses(), 0))
    fx.attackers.push(attacker)
    const impostor: Signer = { peerId: author.mesh.peerId, sign: generateSigner().sign }
    const last = at(events, 2)
    const forged = await createEvent(impostor, { seq: 4, prev: last.id, lamport: last.event.lamport + 1, time: Date.now() }, 'job.announced', announceBody(999))
    await attacker.publish('ledger', forged.bytes)
    await attacker.publish('ledger', new Uint8Array(100 * 1024).fill(0x7b))
    await attacker.publish('ledger', new TextEncoder().encode('{"not": "an event"'))
    await attacker.publish('ledger', at(events, 0).bytes)

    const stats = (): ReturnType<typeof victim.mesh.stats> => victim.mesh.stats()
    await waitFor('every hostile message to be judged', () => {
      const s = stats()
      return (s.rejected.ledger.bad_signature ?? 0) >= 1 && (s.rejected.ledger.too_large ?? 0) >= 1 &&
        (s.rejected.ledger.malformed ?? 0) >= 1 && (s.ignored.ledger.duplicate ?? 0) >= 1
    })
    expect(stats().gossip.accepted).toBe(0)
    expect(victim.ledger.versionVector()).toEqual(vv)
    expect(victim.fold.stateHash()).toBe(hash)
    expect(victim.ledger.size()).toBe(3)
    expect(author.ledger.size()).toBe(3)
  })

  it('rate-limits a flood from one peer and counts it, while that peer\'s heartbeats still get through', async () => {
    const { victim, attacker } = await fx.pair()
    const total = limits.GOSSIP_RATE.burst * 2
    for (let i = 0; i < total; i++) await attacker.publish('ledger', canonicalBytes({ flood: i }))
    // Right behind the flood, while its ledger bucket is empty: heartbeats have buckets of their own.
    const peer = generateSigner()
    await attacker.publish('presence', await signedPresence(peer, presenceOf(peer.peerId, Date.now(), 'after the flood')))
    await waitFor('the flood and the heartbeat to be judged', () => victim.mesh.stats().gossip.in >= total + 1)
    const s = victim.mesh.stats()
    expect(s.rateLimited.gossip).toBeGreaterThan(0)
    expect(s.ignored.ledger.rate_limited).toBe(s.rateLimited.gossip)
    expect((s.rejected.ledger.bad_schema ?? 0) + s.rateLimited.gossip).toBe(total)
    expect(victim.ledger.size()).toBe(0)
    await waitFor('the heartbeat to be accepted', () => victim.mesh.stats().gossip.accepted === 1)
    expect(s.ignored.presence.rate_limited).toBeUndefined()
  })

  it('charges a bundle one token per event, so bundles cannot multiply a flood', async () => {
    const { victim, attacker } = await fx.pair()
    const perBundle = limits.LEDGER_BUNDLE.maxEvents
    const bundles = Math.ceil(limits.GOSSIP_RATE.burst / perBundle) + 4
    for (let i = 0; i < bundles; i++) {
      const parts = Array.from({ length: perBundle }, (_, k) => new TextDecoder().decode(canonicalBytes({ flood: i * perBundle + k })))
      await attacker.publish('ledger', new TextEncoder().encode(parts.join('\n')))
    }
    await waitFor('the bundles to be judged', () => victim.mesh.stats().gossip.in >= bundles)
    const s = victim.mesh.stats()
    expect(s.rateLimited.gossip).toBeGreaterThan(0)
    expect(s.rateLimited.gossip).toBeLessThan(bundles)
    expect(victim.ledger.size()).toBe(0)
  })
})
