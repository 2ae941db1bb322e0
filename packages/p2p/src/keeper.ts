/**
 * Keeps the mesh connected: known peers (from bootstrap, mDNS, identify) that are not connected
 * are redialed with exponential backoff. libp2p itself neither auto-dials discovered peers nor
 * retries a dropped bootstrap peer for long, and a healed partition must reconnect by itself.
 */
import type { Logger } from '@devq/core'
import type { PeerId } from '@libp2p/interface'
import { DIAL_TIMEOUT_MS, REDIAL } from './limits.ts'
import type { MeshNode } from './node.ts'

/** What the keeper needs. */
export interface KeeperDeps {
  node: MeshNode
  isBlocked: (peerId: string) => boolean
  /** Local monotonic ms. */
  now: () => number
  logger: Logger
  stopped: AbortSignal
}

/**
 * Redials known peers. `tick` is cheap to call often: it reads the peer store only after a peer
 * disconnected or was discovered, or while a known peer is still unconnected. Never throws.
 */
export interface Keeper {
  /** Starts dials to known, unconnected, unblocked peers whose backoff has passed. */
  tick(): void
  /** Looks at the peer store at once (new peers were stored, e.g. by peer exchange). */
  wake(): void
  /** Forgets every backoff (after `unblock`), so the next tick dials everyone at once. */
  reset(): void
}

interface Backoff {
  next: number
  delay: number
}

export function createKeeper (deps: KeeperDeps): Keeper {
  const backoff = new Map<string, Backoff>()
  const dialing = new Set<string>()
  let ticking = false
  /** Whether a known peer may be unconnected: false only after a sweep found every one connected. */
  let dirty = true
  const stir = (): void => { dirty = true }
  deps.node.addEventListener('peer:disconnect', stir)
  deps.node.addEventListener('peer:discovery', stir)

  async function dial (peer: PeerId): Promise<void> {
    const key = peer.toString()
    dialing.add(key)
    try {
      await deps.node.dial(peer, { signal: AbortSignal.any([deps.stopped, AbortSignal.timeout(DIAL_TIMEOUT_MS)]) })
      backoff.delete(key)
    } catch (err) {
      const delay = Math.min(REDIAL.maxBackoffMs, (backoff.get(key)?.delay ?? REDIAL.minBackoffMs / 2) * 2)
      backoff.set(key, { next: deps.now() + delay, delay })
      if (!deps.stopped.aborted) deps.logger.debug({ err, remote: key, retry_in_ms: delay }, 'redial failed')
    } finally {
      dialing.delete(key)
    }
  }

  async function sweep (): Promise<void> {
    const connected = new Set(deps.node.getPeers().map((p) => p.toString()))
    const self = deps.node.peerId.toString()
    const now = deps.now()
    let started = 0
    let missing = false
    for (const peer of await deps.node.peerStore.all()) {
      const key = peer.id.toString()
      if (key === self || connected.has(key) || deps.isBlocked(key) || peer.addresses.length === 0) continue
      missing = true
      if (dialing.has(key)) continue
      if ((backoff.get(key)?.next ?? 0) > now) continue
      if (started++ >= REDIAL.maxDialsPerTick || deps.stopped.aborted) break
      void dial(peer.id)
    }
    // A blocked peer is redialed by `reset` (unblock); a dial in flight ends with an event or a backoff.
    if (!missing) dirty = false
  }

  return {
    tick () {
      if (ticking || !dirty || deps.stopped.aborted) return
      ticking = true
      sweep().catch((err: unknown) => { deps.logger.debug({ err }, 'redial sweep failed') }).finally(() => { ticking = false })
    },
    wake () {
      dirty = true
      this.tick()
    },
    reset () {
      backoff.clear()
      dirty = true
    }
  }
}
