/**
 * A hostile team member for tests: a bare libp2p node with the team key and gossipsub, but none
 * of the mesh's checks, that publishes whatever bytes a test gives it.
 */
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { preSharedKey } from '@libp2p/pnet'
import { identify } from '@libp2p/identify'
import { gossipsub, StrictNoSign } from '@libp2p/gossipsub'
import { bootstrap } from '@libp2p/bootstrap'
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { formatTeamKey, generateTeamKey, teamNames, type TeamKey } from '../src/index.ts'
import { closeAll, createPeer, TEAM, waitFor, type TestPeer } from './helpers.ts'

/** A connected attacker. */
export interface Attacker {
  peerId: string
  /** Ledger topic messages received so far (what honest peers gossiped), oldest first. */
  readonly heard: Uint8Array[]
  /** Publishes raw bytes on the team's ledger or presence topic, once the target is subscribed. */
  publish(topic: 'ledger' | 'presence', data: Uint8Array): Promise<void>
  /** Sends one raw sync request frame to the target; resolves with the answer's header frame, rejects if refused. */
  syncRequest(frame: Uint8Array): Promise<Uint8Array>
  /** Answers every sync request with these raw frames (length-prefixed), whatever was asked. */
  serveSync(frames: readonly Uint8Array[]): Promise<void>
  /** Opens protocol `protocol` (a full protocol id) to the target, sends `data`, ends its side and returns all the target answers. */
  exchange(protocol: string, data: Uint8Array): Promise<Uint8Array>
  stop(): Promise<void>
}

/** Starts an attacker and connects it to `target` (a multiaddr with /p2p/) of team `team`. */
export async function createAttacker (teamKey: TeamKey, target: string, team = TEAM): Promise<Attacker> {
  const names = teamNames(team)
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionProtector: preSharedKey({ psk: new TextEncoder().encode(formatTeamKey(teamKey)) }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [bootstrap({ list: [target], timeout: 0 })],
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: StrictNoSign, allowPublishToZeroTopicPeers: true, fallbackToFloodsub: false, maxInboundDataLength: 4 * 1024 * 1024 })
    }
  })
  const targetId = target.slice(target.lastIndexOf('/p2p/') + 5)
  node.services.pubsub.subscribe(names.ledger)
  node.services.pubsub.subscribe(names.presence)
  const heard: Uint8Array[] = []
  node.services.pubsub.addEventListener('message', (evt) => {
    if (evt.detail.topic === names.ledger && heard.length < 10_000) heard.push(evt.detail.data)
  })
  await waitFor(`the attacker to connect to ${targetId}`, () => node.getPeers().some((p) => p.toString() === targetId))
  return {
    peerId: node.peerId.toString(),
    heard,
    async publish (topic, data) {
      const name = topic === 'ledger' ? names.ledger : names.presence
      await waitFor(`${targetId} to subscribe to ${name}`, () => node.services.pubsub.getSubscribers(name).some((p) => p.toString() === targetId))
      await node.services.pubsub.publish(name, data)
    },
    async syncRequest (frame) {
      const stream = await node.dialProtocol(peerIdFromString(targetId), names.sync, { signal: AbortSignal.timeout(10_000) })
      const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
      await lp.write(frame)
      const header = (await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray()
      stream.abort(new Error('done'))
      return header
    },
    async serveSync (frames) {
      await node.unhandle(names.sync)
      await node.handle(names.sync, async (stream) => {
        const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
        await lp.read()
        await lp.writeV([...frames])
        await stream.close()
      })
    },
    async exchange (protocol, data) {
      const stream = await node.dialProtocol(peerIdFromString(targetId), protocol, { signal: AbortSignal.timeout(10_000) })
      const chunks: Uint8Array[] = []
      stream.addEventListener('message', (evt) => { chunks.push(evt.data.subarray()) })
      const ended = new Promise<void>((resolve) => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
      stream.send(data)
      await stream.close()
      await ended
      return Buffer.concat(chunks)
    },
    async stop () {
      await node.stop()
    }
  }
}

/** The peers and attackers one test creates; `close` them after each test. */
export class HostileFixture {
  peers: TestPeer[] = []
  attackers: Attacker[] = []

  /** A fresh victim (periodic sync off, so only what the test sends arrives) and an attacker connected to it. */
  async pair (): Promise<{ key: TeamKey, victim: TestPeer, attacker: Attacker }> {
    const key = generateTeamKey()
    const victim = await createPeer(key, { syncIntervalMs: 60_000 })
    this.peers.push(victim)
    const attacker = await createAttacker(key, victim.mesh.addresses()[0] ?? '')
    this.attackers.push(attacker)
    return { key, victim, attacker }
  }

  async close (): Promise<void> {
    await Promise.allSettled(this.attackers.map(async (a) => { await a.stop() }))
    await closeAll(this.peers)
    this.peers = []
    this.attackers = []
  }
}
