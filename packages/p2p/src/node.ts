/** Builds the libp2p node of a mesh: its transports, the team key, discovery and services. */
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { preSharedKey } from '@libp2p/pnet'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, StrictNoSign, type GossipSub } from '@libp2p/gossipsub'
import { mdns } from '@libp2p/mdns'
import { bootstrap } from '@libp2p/bootstrap'
import { GOSSIP_DEGREE, GOSSIP_HEARTBEAT_MS, IDONTWANT_MIN_BYTES, MAX_GOSSIP_FRAME_BYTES, YAMUX_MAX_STREAM_WINDOW } from './limits.ts'
import type { ComponentLogger, ConnectionGater, Ed25519PrivateKey } from '@libp2p/interface'
import { teamKeyPsk, type TeamKey } from './team-key.ts'

/** The libp2p node with the services a mesh uses. */
export type MeshNode = Libp2p<{ identify: Identify, ping: Ping, pubsub: GossipSub }>

/** Everything the node is built from. */
export interface NodeInit {
  privateKey: Ed25519PrivateKey
  teamKey: TeamKey
  listen: string[]
  announce?: string[]
  bootstrap: string[]
  mdns: boolean
  gater: ConnectionGater
  /** The only gossip topics tracked; subscriptions to others are ignored. */
  topics: string[]
  /** Where libp2p's own diagnostics go (see libp2p-logger.ts). */
  logger: ComponentLogger
}

/** mDNS service name: one for all DevQ teams (DNS-SD names are short); the team key sorts them out. */
const MDNS_SERVICE = '_devq._udp.local'

function discovery (init: NodeInit): NonNullable<Libp2pOptions['peerDiscovery']> {
  const out: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (init.bootstrap.length > 0) out.push(bootstrap({ list: init.bootstrap, timeout: 0 }))
  if (init.mdns) out.push(mdns({ serviceTag: MDNS_SERVICE }))
  return out
}

/**
 * Creates (does not start) the node: TCP, the pnet protector with the team key (a peer with
 * another key fails the handshake), Noise, Yamux, identify, ping, and gossipsub without libp2p
 * signatures (payloads sign themselves) and with a frame cap.
 */
export async function createMeshNode (init: NodeInit): Promise<MeshNode> {
  return await createLibp2p({
    start: false,
    privateKey: init.privateKey,
    logger: init.logger,
    addresses: { listen: init.listen, ...(init.announce === undefined ? {} : { announce: init.announce }) },
    transports: [tcp()],
    connectionProtector: preSharedKey({ psk: teamKeyPsk(init.teamKey) }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW } })],
    connectionGater: init.gater,
    // libp2p's monitor pings every connection from both ends (a new stream each time), about a
    // fifth of an idle node's CPU in a team of 20 even once a minute. Every peer writes a heartbeat
    // to every other each quarter lease, so a connection whose far end is gone fails by itself:
    // its kernel resets it once it is back, and while it is gone its heartbeats are missing anyway.
    connectionMonitor: { enabled: false },
    peerDiscovery: discovery(init),
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictNoSign,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        fallbackToFloodsub: false,
        emitSelf: false,
        doPX: false,
        maxInboundDataLength: MAX_GOSSIP_FRAME_BYTES,
        allowedTopics: init.topics,
        // The team key and the member list decide who may take part. Gossipsub's IP colocation
        // penalty would instead graylist every peer once more than 10 share an address (several
        // nodes on one box, or a team behind one NAT), and the mesh would silently stop gossiping.
        scoreParams: { IPColocationFactorWeight: 0 },
        // IDONTWANT saves a peer from receiving a copy it already has; for messages this small the
        // notice costs as much as the copy.
        idontwantMinDataSize: IDONTWANT_MIN_BYTES,
        // Publishing floods to every connected peer, and every peer connects to every other: see
        // GOSSIP_DEGREE for why there is no forwarding mesh.
        floodPublish: true,
        heartbeatInterval: GOSSIP_HEARTBEAT_MS,
        ...GOSSIP_DEGREE
      })
    }
  })
}
