/**
 * @devq/p2p: the libp2p mesh of a DevQ team. Team key (private network), discovery (bootstrap,
 * mDNS, redial), gossip of ledger events and presence, the ledger sync protocol, and direct stream
 * protocols for the node's services.
 * This file is the package's only public face.
 */
export { createMesh } from './mesh.ts'
export { PRESENCE_BOOT, type PresenceStamps } from './presence.ts'
export { formatLibp2pLine, libp2pLogger, type Libp2pLogLevel } from './libp2p-logger.ts'
export type {
  HandleStreamOptions, Mesh, MeshComponents, MeshFaults, MeshInit, MeshLedger, OpenStreamOptions, StreamHandler, SyncReport
} from './types.ts'
export type { MeshStats, ReasonCounts, StreamCounts, TopicCounts } from './stats.ts'
export { loadOrCreatePeerKey, signerFromPrivateKey, PEER_KEY_FILE, type PeerKey } from './peer-key.ts'
export { TeamKey, generateTeamKey, parseTeamKey, formatTeamKey } from './team-key.ts'
export { teamNames, type TeamNames } from './topics.ts'
export { PeerKeyError, TeamKeyError, MeshConfigError, MeshStateError, PresenceEncodeError, ProtocolViolation, StreamError, SyncError } from './errors.ts'
export * as limits from './limits.ts'
