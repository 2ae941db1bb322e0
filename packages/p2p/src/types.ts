/** The mesh's public contract: what it needs (components, init) and what it offers (`Mesh`). */
import type { Ed25519PrivateKey } from '@libp2p/interface'
import type { ByteStream, Clock, Ledger, Logger, PresenceInfo, Signer, Verifier } from '@devq/core'
import type { Libp2pLogLevel } from './libp2p-logger.ts'
import type { PresenceStamps } from './presence.ts'
import type { MeshStats } from './stats.ts'
import type { TeamKey } from './team-key.ts'

/** The part of core's `Ledger` the mesh uses. It is the only way events enter or leave the mesh. */
export type MeshLedger = Pick<Ledger, 'ingest' | 'versionVector' | 'missingFor' | 'faulty' | 'tips' | 'onAccepted'>

/** The services a mesh needs; it owns none of them (it never closes the ledger). */
export interface MeshComponents {
  ledger: MeshLedger
  logger: Logger
  /** Monotonic time drives rate limits; nothing here reads the wall clock. */
  clock: Clock
  /** Verifies presence signatures. Default: core's inline verifier. */
  verifier?: Verifier
}

/** Fault injection on INCOMING gossip, for tests and chaos runs. Off by default. */
export interface MeshFaults {
  /** Fraction (0..1) of incoming gossip messages dropped before validation. */
  drop?: number
  /** Fraction (0..1) of incoming gossip messages handled twice. */
  duplicate?: number
  /** Incoming gossip messages wait a uniform random 0..delayMs before validation, so they reorder. */
  delayMs?: number
}

/** Options of `createMesh`. */
export interface MeshInit {
  /** This peer's key (see `loadOrCreatePeerKey`). */
  privateKey: Ed25519PrivateKey
  /** The team's pre-shared key: peers with another key cannot connect. */
  teamKey: TeamKey
  /** Team name; topic and protocol names derive from it (see `teamNames`). */
  team: string
  /** Multiaddrs to listen on. Default `['/ip4/127.0.0.1/tcp/0']`. */
  listen?: string[]
  /** Multiaddrs to announce instead of the listen addresses (e.g. behind port forwarding). */
  announce?: string[]
  /** Multiaddrs with `/p2p/<id>` to dial at start and keep redialing. */
  bootstrap?: string[]
  /** Discover peers on the LAN by multicast DNS. Default false. */
  mdns?: boolean
  /** Team membership: presence and sync requests of other peers are refused. Absent: everyone with the team key. */
  isMember?: (peerId: string) => boolean
  /** Interval of the periodic sync with a random connected peer, in ms. Default 3000. */
  syncIntervalMs?: number
  faults?: MeshFaults
  /** Heartbeat stamps kept from before a restart (`Mesh.presenceStamps`), so replays stay stale. */
  presenceStamps?: PresenceStamps
  /** How much of libp2p's own diagnostics goes to the logger (component `libp2p`, debug level). Default `off`. */
  libp2pLog?: Libp2pLogLevel
}

/** Outcome of one `syncWith`. */
export interface SyncReport {
  peer: string
  rounds: number
  /** Events received. */
  received: number
  /** Events the ledger newly accepted. */
  accepted: number
}

/**
 * Serves one incoming direct stream from member `peer`. It owns the stream: it ends or aborts it.
 * It should not throw; if it does, the error is logged and the stream aborted.
 */
export type StreamHandler = (stream: ByteStream, peer: string) => Promise<void>

/** Options of `handleStream`. */
export interface HandleStreamOptions {
  /** Most inbound streams of this protocol per connection at once (1-1024). Default 16; more are refused by libp2p. */
  maxInbound?: number
  /** Token bucket per remote peer: burst, and refill per second. Default burst 20, 4/s. */
  rate?: { burst: number, perSecond: number }
}

/** Options of `openStream`. */
export interface OpenStreamOptions {
  /** Gives up dialing and negotiating when it aborts (a 10 s timeout applies anyway). */
  signal?: AbortSignal
}

/**
 * A peer's connection to the team mesh: gossip of ledger events and presence, the sync protocol,
 * discovery and redial. Methods are safe to call from any async context; `start` and `stop` are
 * idempotent; a stopped mesh cannot start again (create a new one).
 */
export interface Mesh {
  /** This peer's libp2p peer id (known before `start`). */
  readonly peerId: string
  /** Signs with this peer's key; `signer.peerId === peerId`. */
  readonly signer: Signer
  /** Starts listening, discovery, gossip and sync. Throws MeshStateError after `stop`. */
  start(): Promise<void>
  /** Stops timers and in-flight syncs and closes every connection. Idempotent. */
  stop(): Promise<void>
  /** Listening multiaddrs with `/p2p/<peerId>`, for others' `bootstrap`. Empty unless started. */
  addresses(): string[]
  /** Peer ids with an open connection. */
  connectedPeers(): string[]
  /** Signs and gossips this peer's heartbeat. Throws PresenceEncodeError (invalid, foreign, too large). */
  publishPresence(info: PresenceInfo): Promise<void>
  /** Hears other peers' verified heartbeats (not this peer's own). Returns the unsubscribe function. */
  onPresence(listener: (info: PresenceInfo) => void): () => void
  /** The newest heartbeat stamp taken from each peer, to keep across a restart (`MeshInit.presenceStamps`). */
  presenceStamps(): PresenceStamps
  /**
   * Pulls what `peerId` (default: a random connected peer) has and this peer lacks, in rounds until
   * an answer is not full. Throws SyncError (retryable) on failure, MeshStateError when not started.
   */
  syncWith(peerId?: string): Promise<SyncReport>
  /** Test hook for partitions: closes and from now on refuses connections to these peers. */
  block(peerIds: readonly string[]): Promise<void>
  /** Lifts every block; known peers are redialed at once. */
  unblock(): void
  /**
   * Serves the direct stream protocol `/devq/<team>/<name>/1.0.0` (`name`: `[a-z][a-z0-9-]{0,31}`,
   * not `sync` or `peers`). Works before `start` (installed at start) and after. Streams from
   * non-members and blocked peers are reset, and so are those over the per-peer rate; the rest go
   * to `handler`. Throws MeshConfigError for a bad name or option or a name already handled,
   * MeshStateError after `stop`.
   */
  handleStream(name: string, handler: StreamHandler, options?: HandleStreamOptions): Promise<void>
  /**
   * Opens protocol `name` to `peer`, dialing it first if not connected (with the addresses the
   * peer store knows). Throws StreamError (retryable but for a malformed peer id) when the mesh is
   * not started, the peer id is malformed, the peer is blocked, the dial fails or the peer does not
   * handle the protocol; MeshConfigError for a bad name. `stop` aborts every open direct stream.
   */
  openStream(peer: string, name: string, options?: OpenStreamOptions): Promise<ByteStream>
  stats(): MeshStats
}
