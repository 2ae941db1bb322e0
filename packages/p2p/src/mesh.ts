/** The mesh: wires the libp2p node, the gossip validators, the sync protocol, direct streams and the redial loop. */
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { createInlineVerifier, type ByteStream, type Logger, type PresenceInfo, type Signer } from '@devq/core'
import { resolveInit, type ResolvedInit } from './config.ts'
import { MeshConfigError, MeshStateError, StreamError, SyncError } from './errors.ts'
import { ledgerValidator, presenceValidator, type GossipDeps } from './gossip.ts'
import { createDigestWatch, type DigestWatch } from './digest.ts'
import { createKeeper, type Keeper } from './keeper.ts'
import { libp2pLogger } from './libp2p-logger.ts'
import { bundleSize } from './ledger-bundle.ts'
import { ownEventPublisher } from './ledger-gossip.ts'
import { GOSSIP_RATE, PEX_RATE, PRESENCE_RATE, REDIAL, SYNC_MAX_INBOUND_STREAMS, SYNC_MAX_CONCURRENT, SYNC_RATE } from './limits.ts'
import { createMeshNode, type MeshNode } from './node.ts'
import { createPeerExchangeHandler, exchangePeers, type PeerExchangeDeps } from './peer-exchange.ts'
import { signerFromPrivateKey } from './peer-key.ts'
import { createPresenceCheck, encodePresence, type PresenceCheck, type PresenceStamps } from './presence.ts'
import { createRateLimiter } from './rate-limit.ts'
import { emptyStats, type MeshStats } from './stats.ts'
import { createDirectStreams, directProtocol, type DirectStreams } from './streams.ts'
import { createSyncHandler } from './sync.ts'
import { createSyncer, type Syncer } from './syncer.ts'
import type { HandleStreamOptions, Mesh, MeshComponents, MeshInit, OpenStreamOptions, StreamHandler, SyncReport } from './types.ts'

type State = 'new' | 'starting' | 'started' | 'stopping' | 'stopped'

/** The parts that exist only while started. */
interface Running {
  node: MeshNode
  syncer: Syncer
  keeper: Keeper
  pex: PeerExchangeDeps
  timers: ReturnType<typeof setInterval>[]
  unsubscribe: () => void
}

class P2pMesh implements Mesh {
  readonly peerId: string
  readonly signer: Signer
  private readonly components: MeshComponents
  private readonly init: ResolvedInit
  private readonly logger: Logger
  private readonly presence: PresenceCheck
  private readonly blocked = new Set<string>()
  private readonly listeners = new Set<(info: PresenceInfo) => void>()
  private readonly stopper = new AbortController()
  private readonly counters: MeshStats = emptyStats()
  private readonly streams: DirectStreams
  private readonly digests: DigestWatch
  private state: State = 'new'
  private starting: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  private running: Running | undefined
  /** This process start, as heartbeats name it; with `heartbeats` it orders them (see presence.ts). */
  private readonly bootId = randomBytes(16).toString('base64url')
  private heartbeats = 0

  constructor (components: MeshComponents, init: MeshInit) {
    this.components = components
    this.init = resolveInit(init)
    this.signer = signerFromPrivateKey(this.init.privateKey)
    this.peerId = this.signer.peerId
    this.logger = components.logger.child({ component: 'p2p', peer_id: this.peerId })
    this.presence = createPresenceCheck({ verifier: components.verifier ?? createInlineVerifier(), isMember: init.isMember, ...(init.presenceStamps === undefined ? {} : { remembered: init.presenceStamps }) })
    this.digests = createDigestWatch({
      ledger: components.ledger, selfId: this.peerId, logger: this.logger,
      request: (peer, why) => { this.running?.syncer.request(peerIdFromString(peer), why) }
    })
    this.streams = createDirectStreams({
      stats: this.counters, clock: components.clock, logger: this.logger, isMember: init.isMember, isBlocked: (id) => this.blocked.has(id)
    }, { team: this.init.team })
  }

  async start (): Promise<void> {
    if (this.state === 'starting' || this.state === 'started') return await this.starting
    if (this.state !== 'new') throw new MeshStateError('a stopped mesh cannot start again: create a new one', { operation: 'start', state: this.state })
    this.state = 'starting'
    this.starting = this.boot().then(
      () => { this.state = 'started' },
      async (err: unknown) => {
        await this.shutDown()
        throw err
      })
    await this.starting
  }

  async stop (): Promise<void> {
    if (this.state === 'new') this.state = 'stopped'
    if (this.state === 'starting') await this.starting?.catch(() => {})
    if (this.state === 'started') {
      this.state = 'stopping'
      this.stopping = this.shutDown()
    }
    await this.stopping
  }

  addresses (): string[] {
    return this.running?.node.getMultiaddrs().map((ma) => ma.toString()) ?? []
  }

  connectedPeers (): string[] {
    return this.running?.node.getPeers().map((p) => p.toString()) ?? []
  }

  async publishPresence (info: PresenceInfo): Promise<void> {
    const { node } = this.require('publishPresence')
    const stamp = { boot: this.bootId, seq: ++this.heartbeats }
    const bytes = await encodePresence(this.signer, { ...info, ledger: await this.digests.own() }, stamp)
    this.presence.noteOwn(this.peerId, stamp)
    await node.services.pubsub.publish(this.init.names.presence, bytes)
    this.counters.gossip.out++
    this.counters.gossip.topics.presence.out++
  }

  presenceStamps (): PresenceStamps {
    return this.presence.stamps()
  }

  onPresence (listener: (info: PresenceInfo) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  async syncWith (peerId?: string): Promise<SyncReport> {
    const { syncer, node } = this.require('syncWith')
    let peer: PeerId | undefined
    if (peerId === undefined) {
      peer = this.randomPeer(node)
      if (peer === undefined) throw new SyncError('no connected peer to sync with', { peer: '', detail: 'no peers' }, { retryable: true })
    } else {
      peer = parsePeerId(peerId, 'peerId')
    }
    return await syncer.syncWith(peer)
  }

  async block (peerIds: readonly string[]): Promise<void> {
    const peers = peerIds.map((id) => parsePeerId(id, 'block'))
    for (const p of peers) this.blocked.add(p.toString())
    const node = this.running?.node
    if (node === undefined) return
    await Promise.all(peers.map(async (p) => { await node.hangUp(p).catch(() => {}) }))
    this.logger.info({ peers: peerIds }, 'blocked peers')
  }

  unblock (): void {
    this.blocked.clear()
    this.running?.keeper.reset()
    this.running?.keeper.tick()
  }

  async handleStream (name: string, handler: StreamHandler, options?: HandleStreamOptions): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') throw new MeshStateError('handleStream on a stopped mesh', { operation: 'handleStream', state: this.state })
    await this.streams.handle(name, handler, options)
  }

  async openStream (peer: string, name: string, options?: OpenStreamOptions): Promise<ByteStream> {
    const protocol = directProtocol(this.init.team, name)
    if (this.state !== 'started') throw new StreamError(`cannot open ${protocol} to ${peer}: the mesh is not started`, { peer, protocol, detail: 'the mesh is not started' })
    return await this.streams.open(peer, name, options)
  }

  stats (): MeshStats {
    return structuredClone(this.counters)
  }

  private require (operation: string): Running {
    if (this.state !== 'started' || this.running === undefined) throw new MeshStateError(`${operation} needs a started mesh`, { operation, state: this.state })
    return this.running
  }

  private randomPeer (node: MeshNode): PeerId | undefined {
    const peers = node.getPeers()
    return peers[Math.floor(Math.random() * peers.length)]
  }

  private gater (): ConnectionGater {
    const denied = (peer: PeerId): boolean => this.blocked.has(peer.toString())
    return { denyDialPeer: denied, denyInboundEncryptedConnection: denied, denyOutboundEncryptedConnection: denied }
  }

  private gossipDeps (syncer: Syncer): GossipDeps {
    return {
      ledger: this.components.ledger,
      presence: this.presence,
      stats: this.counters,
      rates: { ledger: createRateLimiter(GOSSIP_RATE), presence: createRateLimiter(PRESENCE_RATE) },
      clock: this.components.clock,
      logger: this.logger,
      faults: this.init.faults,
      random: Math.random,
      stopped: this.stopper.signal,
      onGap: (from) => { syncer.request(from, 'gap') },
      onPresence: (info) => { this.emitPresence(info) }
    }
  }

  private emitPresence (info: PresenceInfo): void {
    this.digests.observe(info.peer, info.ledger)
    for (const listener of this.listeners) {
      try {
        listener(info)
      } catch (err) {
        this.logger.error({ err }, 'presence listener threw')
      }
    }
  }

  private async boot (): Promise<void> {
    const { ledger, clock } = this.components
    const { names } = this.init
    const logger = libp2pLogger(this.components.logger.child({ component: 'libp2p', peer_id: this.peerId }), this.init.libp2pLog ?? 'off')
    const node = await createMeshNode({ ...this.init, gater: this.gater(), topics: [names.ledger, names.presence], logger })
    const syncer = createSyncer({
      ledger, stats: this.counters, logger: this.logger,
      open: async (peer, signal) => await node.dialProtocol(peer, names.sync, { signal })
    })
    const isBlocked = (id: string): boolean => this.blocked.has(id)
    const keeper = createKeeper({ node, isBlocked, now: () => clock.monotonicMs(), logger: this.logger, stopped: this.stopper.signal })
    const pex: PeerExchangeDeps = { node, protocol: names.peers, stats: this.counters, rate: createRateLimiter(PEX_RATE), clock, logger: this.logger, isBlocked }
    await this.handleProtocols(node, pex)
    await this.streams.attach(node)
    node.addEventListener('peer:identify', (evt) => {
      const { peerId, protocols } = evt.detail
      if (protocols.includes(names.sync)) syncer.request(peerId, 'connect')
      if (protocols.includes(names.peers)) this.discover(peerId)
    })
    const pubsub = node.services.pubsub
    const deps = this.gossipDeps(syncer)
    pubsub.topicValidators.set(names.ledger, ledgerValidator(deps))
    pubsub.topicValidators.set(names.presence, presenceValidator(deps))
    const publish = async (data: Uint8Array): Promise<void> => {
      if (this.state !== 'started') return
      await pubsub.publish(names.ledger, data)
      this.counters.gossip.out++
      this.counters.gossip.topics.ledger.out++
      this.counters.gossip.ledgerOut++
      this.counters.gossip.eventsOut += bundleSize(data)
    }
    const onAccepted = ownEventPublisher(this.peerId, ledger.versionVector()[this.peerId] ?? 0, publish, this.logger)
    const timers = [setInterval(() => { keeper.tick() }, REDIAL.everyMs), setInterval(() => { this.tick() }, this.init.syncIntervalMs)]
    // The node's sockets keep the process alive while it runs; the timers alone must not.
    for (const timer of timers) timer.unref()
    this.running = { node, syncer, keeper, pex, timers, unsubscribe: ledger.onAccepted(onAccepted) }
    await node.start()
    pubsub.subscribe(names.ledger)
    pubsub.subscribe(names.presence)
    this.logger.info({ team: this.init.team, addresses: this.addresses(), teamKey: this.init.teamKey.fingerprint }, 'mesh started')
  }

  /** Registers the sync and peer-exchange stream protocols. */
  private async handleProtocols (node: MeshNode, pex: PeerExchangeDeps): Promise<void> {
    const { ledger, clock } = this.components
    const sync = createSyncHandler({ ledger, stats: this.counters, rate: createRateLimiter(SYNC_RATE), clock, logger: this.logger, isMember: this.init.isMember })
    await node.handle(this.init.names.sync, sync, { maxInboundStreams: SYNC_MAX_INBOUND_STREAMS, maxOutboundStreams: SYNC_MAX_CONCURRENT })
    await node.handle(this.init.names.peers, createPeerExchangeHandler(pex), { maxInboundStreams: 2, maxOutboundStreams: 2 })
  }

  /** Asks `peer` for its peers in the background, then dials the new ones. */
  private discover (peer: PeerId): void {
    const running = this.running
    if (running === undefined) return
    exchangePeers(running.pex, peer, this.stopper.signal).then(
      (learned) => { if (learned > 0) running.keeper.wake() },
      (err: unknown) => { if (!this.stopper.signal.aborted) this.logger.debug({ err, remote: peer.toString() }, 'peer exchange failed') }
    )
  }

  private tick (): void {
    const running = this.running
    if (running === undefined || this.state !== 'started') return
    const peer = this.randomPeer(running.node)
    if (peer === undefined) return
    running.syncer.request(peer, 'timer')
    this.discover(peer)
  }

  private async shutDown (): Promise<void> {
    this.stopper.abort()
    this.streams.close()
    this.digests.close()
    const running = this.running
    this.running = undefined
    if (running !== undefined) {
      for (const timer of running.timers) clearInterval(timer)
      running.unsubscribe()
      running.syncer.stop()
      await running.node.stop()
    }
    this.state = 'stopped'
    this.logger.info({}, 'mesh stopped')
  }
}

function parsePeerId (id: string, field: string): PeerId {
  try {
    return peerIdFromString(id)
  } catch (err) {
    throw new MeshConfigError(`${JSON.stringify(id)} is not a peer id`, { field, detail: (err as Error).message }, { cause: err })
  }
}

/**
 * Creates a mesh (not started). Throws MeshConfigError for an invalid option. The ledger, logger,
 * clock and verifier stay the caller's: `stop` closes none of them.
 */
export function createMesh (components: MeshComponents, init: MeshInit): Mesh {
  return new P2pMesh(components, init)
}
