import type { SimLoop } from './loop.ts'
import type { Rng } from './rng.ts'

/** How the simulated network mistreats messages. Every message is subject to all of it. */
export interface NetworkFaults {
  /** Fraction of messages dropped. */
  loss: number
  /** Fraction of messages delivered twice. */
  duplicate: number
  /** Delivery delay range (ms); random delays also reorder messages. */
  minDelayMs: number
  maxDelayMs: number
}

export type Deliver<M> = (from: string, message: M) => void

/** An in-memory network between simulated peers, with loss, duplication, delay and partitions. */
export interface SimNetwork<M> {
  attach(peer: string, deliver: Deliver<M>): void
  /** A crashed peer sends and receives nothing. */
  setDown(peer: string, down: boolean): void
  send(from: string, to: string, message: M): void
  broadcast(from: string, message: M): void
  /** Splits peers into groups that cannot reach each other; peers not listed form one more group. */
  partition(groups: readonly (readonly string[])[]): void
  heal(): void
  reachable(a: string, b: string): boolean
  peers(): string[]
  readonly stats: { sent: number, dropped: number, duplicated: number }
}

export function createSimNetwork<M> ({ loop, rng }: { loop: SimLoop, rng: Rng }, { faults }: { faults: NetworkFaults }): SimNetwork<M> {
  const handlers = new Map<string, Deliver<M>>()
  const down = new Set<string>()
  let side = new Map<string, number>()
  const stats = { sent: 0, dropped: 0, duplicated: 0 }

  const reachable = (a: string, b: string): boolean =>
    !down.has(a) && !down.has(b) && (side.get(a) ?? -1) === (side.get(b) ?? -1)

  function deliverLater (from: string, to: string, message: M): void {
    const delay = faults.minDelayMs + rng.float() * (faults.maxDelayMs - faults.minDelayMs)
    loop.after(delay, () => {
      // A partition or crash that starts while a message is in flight drops it too.
      if (reachable(from, to)) handlers.get(to)?.(from, message)
    })
  }

  function send (from: string, to: string, message: M): void {
    stats.sent++
    if (!reachable(from, to) || rng.chance(faults.loss)) {
      stats.dropped++
      return
    }
    deliverLater(from, to, message)
    if (rng.chance(faults.duplicate)) {
      stats.duplicated++
      deliverLater(from, to, message)
    }
  }

  return {
    attach: (peer, deliver) => { handlers.set(peer, deliver) },
    setDown: (peer, isDown) => { if (isDown) down.add(peer); else down.delete(peer) },
    send,
    broadcast (from, message) {
      for (const to of handlers.keys()) if (to !== from) send(from, to, message)
    },
    partition (groups) {
      side = new Map()
      groups.forEach((g, i) => { for (const p of g) side.set(p, i) })
    },
    heal () { side = new Map() },
    reachable,
    peers: () => [...handlers.keys()],
    stats
  }
}
