import { createEvent, type DecodedEvent } from '../events/envelope.ts'
import type { BodyOf, EventType } from '../events/bodies.ts'
import { createFold, type Fold } from '../fold/fold.ts'
import type { Signer } from '../ports.ts'

/**
 * A simulated peer's ledger kept in memory: per-author hash chains with version vectors, a gap
 * buffer, and the real fold. Signatures are made but not checked (the simulated network is honest);
 * the on-disk ledger is tested on its own.
 */
export interface Replica {
  readonly fold: Fold
  /** Adds events in any order; returns the newly accepted ones and whether a gap was seen. */
  ingest(events: readonly DecodedEvent[]): { accepted: DecodedEvent[], gap: boolean }
  append<T extends EventType>(signer: Signer, type: T, body: BodyOf<T>, wallMs: number): Promise<DecodedEvent>
  versionVector(): Record<string, number>
  /** Events a peer with `vv` lacks, oldest first per author, at most `max`. */
  missingFor(vv: Readonly<Record<string, number>>, max: number): DecodedEvent[]
  size(): number
}

/** The in-memory replica of one simulated peer; see `Replica`. */
class SimReplica implements Replica {
  readonly fold = createFold()
  private readonly chains = new Map<string, DecodedEvent[]>()
  /** Events ahead of their author's chain, by author and seq, until the gap fills. */
  private readonly pending = new Map<string, Map<number, DecodedEvent>>()
  private lamport = 0
  private count = 0
  private queue: Promise<void> = Promise.resolve()

  ingest (events: readonly DecodedEvent[]): { accepted: DecodedEvent[], gap: boolean } {
    const accepted: DecodedEvent[] = []
    let gap = false
    const sorted = [...events].sort((a, b) => a.event.seq - b.event.seq)
    for (const e of sorted) {
      const { author, seq, prev } = e.event
      const chain = this.chains.get(author) ?? []
      if (seq <= chain.length) continue
      if (seq > chain.length + 1) {
        let buf = this.pending.get(author)
        if (buf === undefined) this.pending.set(author, buf = new Map())
        buf.set(seq, e)
        gap = true
        continue
      }
      if (prev !== (chain.at(-1)?.id ?? null)) continue
      this.accept(e, accepted)
      this.acceptPending(author, seq, accepted)
    }
    if (accepted.length > 0) this.fold.apply(accepted)
    return { accepted, gap }
  }

  async append<T extends EventType> (signer: Signer, type: T, body: BodyOf<T>, wallMs: number): Promise<DecodedEvent> {
    // Appends are chained so two concurrent ones never take the same seq.
    const made = this.queue.then(async () => {
      const chain = this.chains.get(signer.peerId) ?? []
      const e = await createEvent(signer, { seq: chain.length + 1, prev: chain.at(-1)?.id ?? null, lamport: this.lamport + 1, time: Math.round(wallMs) }, type, body)
      this.ingest([e])
      return e
    })
    this.queue = made.then(() => undefined, () => undefined)
    return await made
  }

  versionVector (): Record<string, number> {
    return Object.fromEntries([...this.chains].map(([a, c]) => [a, c.length]))
  }

  missingFor (vv: Readonly<Record<string, number>>, max: number): DecodedEvent[] {
    const out: DecodedEvent[] = []
    for (const [author, chain] of this.chains) {
      for (let i = vv[author] ?? 0; i < chain.length && out.length < max; i++) out.push(chain[i]!)
    }
    return out
  }

  size (): number {
    return this.count
  }

  private accept (e: DecodedEvent, out: DecodedEvent[]): void {
    let chain = this.chains.get(e.event.author)
    if (chain === undefined) this.chains.set(e.event.author, chain = [])
    chain.push(e)
    this.lamport = Math.max(this.lamport, e.event.lamport)
    this.count++
    out.push(e)
  }

  /** Accepts buffered events that now follow `author`'s chain head at `seq`. */
  private acceptPending (author: string, seq: number, out: DecodedEvent[]): void {
    const buf = this.pending.get(author)
    for (let next = buf?.get(seq + 1); next !== undefined; next = buf?.get(next.event.seq + 1)) {
      buf!.delete(next.event.seq)
      if (next.event.prev !== this.chains.get(author)!.at(-1)!.id) break
      this.accept(next, out)
    }
  }
}

/** An empty in-memory replica. */
export function createReplica (): Replica {
  return new SimReplica()
}
