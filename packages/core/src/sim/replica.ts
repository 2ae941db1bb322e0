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

export function createReplica (): Replica {
  const chains = new Map<string, DecodedEvent[]>()
  const pending = new Map<string, Map<number, DecodedEvent>>()
  const fold = createFold()
  let lamport = 0
  let count = 0
  let queue: Promise<void> = Promise.resolve()

  function accept (e: DecodedEvent, out: DecodedEvent[]): void {
    let chain = chains.get(e.event.author)
    if (chain === undefined) chains.set(e.event.author, chain = [])
    chain.push(e)
    lamport = Math.max(lamport, e.event.lamport)
    count++
    out.push(e)
  }

  function ingest (events: readonly DecodedEvent[]): { accepted: DecodedEvent[], gap: boolean } {
    const accepted: DecodedEvent[] = []
    let gap = false
    const sorted = [...events].sort((a, b) => a.event.seq - b.event.seq)
    for (const e of sorted) {
      const { author, seq, prev } = e.event
      const chain = chains.get(author) ?? []
      const head = chain[chain.length - 1]
      if (seq <= chain.length) continue
      if (seq > chain.length + 1) {
        let buf = pending.get(author)
        if (buf === undefined) pending.set(author, buf = new Map())
        buf.set(seq, e)
        gap = true
        continue
      }
      if (prev !== (head?.id ?? null)) continue
      accept(e, accepted)
      const buf = pending.get(author)
      for (let next = buf?.get(seq + 1); next !== undefined; next = buf?.get(next.event.seq + 1)) {
        buf!.delete(next.event.seq)
        if (next.event.prev !== chains.get(author)!.at(-1)!.id) break
        accept(next, accepted)
      }
    }
    if (accepted.length > 0) fold.apply(accepted)
    return { accepted, gap }
  }

  return {
    fold,
    ingest,
    async append (signer, type, body, wallMs) {
      // Appends are chained so two concurrent ones never take the same seq.
      const made = queue.then(async () => {
        const chain = chains.get(signer.peerId) ?? []
        const head = chain[chain.length - 1]
        const e = await createEvent(signer, { seq: chain.length + 1, prev: head?.id ?? null, lamport: lamport + 1, time: Math.round(wallMs) }, type, body)
        ingest([e])
        return e
      })
      queue = made.then(() => undefined, () => undefined)
      return await made
    },
    versionVector: () => Object.fromEntries([...chains].map(([a, c]) => [a, c.length])),
    missingFor (vv, max) {
      const out: DecodedEvent[] = []
      for (const [author, chain] of chains) {
        for (let i = vv[author] ?? 0; i < chain.length && out.length < max; i++) out.push(chain[i]!)
      }
      return out
    },
    size: () => count
  }
}
