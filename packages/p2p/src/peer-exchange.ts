/**
 * Peer exchange (`/devq/<team>/peers/1.0.0`): a peer tells whoever asks which peers it is connected
 * to and at which addresses, so peers that joined through one bootstrap peer find each other and
 * the mesh survives that peer's death. One frame per stream:
 *
 *   listener -> dialer   {"peers":[{"id":"12D3KooW...","addrs":["/ip4/.../tcp/..."]}, ...]}
 *
 * Only team-key holders can ask or answer. Learned addresses go to the peer store; the redial loop
 * dials them.
 */
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { canonicalBytes, type Clock, type Logger } from '@devq/core'
import { PEX_MAX_ADDR_CHARS, PEX_MAX_ADDRS_PER_PEER, PEX_MAX_FRAME_BYTES, PEX_MAX_PEERS, SYNC_TIMEOUT_MS } from './limits.ts'
import type { MeshNode } from './node.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { MeshStats } from './stats.ts'

/** What both sides need. */
export interface PeerExchangeDeps {
  node: MeshNode
  protocol: string
  stats: MeshStats
  rate: RateLimiter
  clock: Clock
  logger: Logger
  isBlocked: (peerId: string) => boolean
}

/** The connected peers (but `except`) and their known addresses, capped. */
async function listPeers (deps: PeerExchangeDeps, except: string): Promise<Array<{ id: string, addrs: string[] }>> {
  const out: Array<{ id: string, addrs: string[] }> = []
  for (const peer of deps.node.getPeers()) {
    const id = peer.toString()
    if (id === except || out.length >= PEX_MAX_PEERS) continue
    const stored = await deps.node.peerStore.get(peer).catch(() => undefined)
    const addrs = (stored?.addresses ?? []).map((a) => a.multiaddr.toString()).filter((a) => a.length <= PEX_MAX_ADDR_CHARS).slice(0, PEX_MAX_ADDRS_PER_PEER)
    if (addrs.length > 0) out.push({ id, addrs })
  }
  return out
}

/** The listener: answers with its peer list. Rate-limited per peer; never throws. */
export function createPeerExchangeHandler (deps: PeerExchangeDeps): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const remote = connection.remotePeer.toString()
    if (!deps.rate.take(remote, deps.clock.monotonicMs())) {
      deps.stats.rateLimited.peers++
      stream.abort(new Error('peer exchange rate limit'))
      return
    }
    try {
      const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS)
      await lpStream(stream, { maxDataLength: PEX_MAX_FRAME_BYTES }).write(canonicalBytes({ peers: await listPeers(deps, remote) }), { signal })
      await stream.close({ signal })
      deps.stats.discovery.served++
    } catch (err) {
      deps.logger.debug({ err, remote }, 'answering a peer exchange failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

interface Learned {
  id: PeerId
  addrs: Multiaddr[]
}

function parseAddr (addr: unknown): Multiaddr | undefined {
  if (typeof addr !== 'string' || addr.length > PEX_MAX_ADDR_CHARS) return undefined
  try {
    return multiaddr(addr)
  } catch {
    return undefined
  }
}

function parseId (id: unknown, self: string): PeerId | undefined {
  if (typeof id !== 'string' || id === self) return undefined
  try {
    return peerIdFromString(id)
  } catch {
    return undefined
  }
}

/** The valid entries of an answer, but this peer; malformed entries and addresses are skipped. */
export function parsePeers (bytes: Uint8Array, self: string): Learned[] {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
  } catch {
    return []
  }
  const peers = (value as { peers?: unknown } | null)?.peers
  if (!Array.isArray(peers)) return []
  const out: Learned[] = []
  for (const entry of peers.slice(0, PEX_MAX_PEERS) as unknown[]) {
    const { id, addrs } = (entry ?? {}) as { id?: unknown, addrs?: unknown }
    const peerId = parseId(id, self)
    if (peerId === undefined || !Array.isArray(addrs)) continue
    const parsed = (addrs.slice(0, PEX_MAX_ADDRS_PER_PEER) as unknown[]).map(parseAddr).filter((a) => a !== undefined)
    if (parsed.length > 0) out.push({ id: peerId, addrs: parsed })
  }
  return out
}

/**
 * The dialer: asks `peer` for its peers and stores the addresses of those this peer is not
 * connected to. Returns how many peers it learned. Throws on transport errors and timeouts.
 */
export async function exchangePeers (deps: PeerExchangeDeps, peer: PeerId, stopped: AbortSignal): Promise<number> {
  const signal = AbortSignal.any([stopped, AbortSignal.timeout(SYNC_TIMEOUT_MS)])
  const stream = await deps.node.dialProtocol(peer, deps.protocol, { signal })
  let frame: Uint8Array
  try {
    frame = (await lpStream(stream, { maxDataLength: PEX_MAX_FRAME_BYTES }).read({ signal })).subarray()
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
  const connected = new Set(deps.node.getPeers().map((p) => p.toString()))
  let learned = 0
  for (const entry of parsePeers(frame, deps.node.peerId.toString())) {
    const id = entry.id.toString()
    if (connected.has(id) || deps.isBlocked(id)) continue
    await deps.node.peerStore.merge(entry.id, { multiaddrs: entry.addrs })
    learned++
  }
  deps.stats.discovery.learned += learned
  return learned
}
