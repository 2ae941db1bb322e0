/** Equivocations and Lamport ladders carried by sync only (missingFor + ingest, as the mesh runs it). */
import { describe, expect, it } from 'vitest'
import { createEvent, generateSigner, LAMPORT_MAX_STEP, type DecodedEvent, type Ledger, type Signer } from '../../src/index.ts'
import { announceBody, bidBody, chain, openLedger, useTempLedgerPath } from './helpers.ts'

/** One sync round from `from` into `to`. */
async function pull (to: Ledger, from: Ledger): Promise<number> {
  const bytes = await from.missingFor(to.versionVector(), { maxEvents: 500, maxBytes: 1 << 22 }, { faulty: to.faulty(), tips: await to.tips() })
  if (bytes.length === 0) return 0
  const res = await to.ingest(bytes)
  return res.accepted.length + res.equivocations.length
}

async function syncAll (ledgers: Ledger[]): Promise<void> {
  for (let round = 0, moved = 1; moved > 0 && round < 30; round++) {
    moved = 0
    for (const to of ledgers) for (const from of ledgers) if (to !== from) moved += await pull(to, from)
  }
}

/** A chain of announces by `signer` that shares `base` and then goes its own way from `forkAt`. */
async function forkOf (signer: Signer, base: readonly DecodedEvent[], forkAt: number, length: number, tag: number): Promise<DecodedEvent[]> {
  const out = base.slice(0, forkAt - 1)
  let prev = out.at(-1)?.id ?? null
  for (let seq = forkAt; seq <= length; seq++) {
    const ev = await chain(signer, 100 * tag + seq).next('job.announced', announceBody(1000 * tag + seq), { seq, prev })
    out.push(ev)
    prev = ev.id
  }
  return out
}

describe('sync with equivocating and far-ahead authors', () => {
  const dbPath = useTempLedgerPath()

  it('three forks (A, B from A at 3, C from A at 2): every ledger agrees on state and faulty seq', async () => {
    const eve = generateSigner()
    const a = await forkOf(eve, [], 1, 5, 1)
    const b = await forkOf(eve, a, 3, 5, 2)
    const c = await forkOf(eve, a, 2, 5, 3)
    const [l1, l2, l3] = await Promise.all([1, 2, 3].map(async (i) => await openLedger(dbPath() + i)))
    try {
      await l1!.ledger.ingest(a)
      await l2!.ledger.ingest(b)
      await l3!.ledger.ingest(c)
      // L1 and L2 meet first (they find the fork at 3), and only then L3 meets them.
      await syncAll([l1!.ledger, l2!.ledger])
      expect(l1!.ledger.faulty()).toEqual({ [eve.peerId]: 3 })
      await syncAll([l1!.ledger, l2!.ledger, l3!.ledger])
      const faulty = [l1, l2, l3].map((l) => l!.ledger.faulty()[eve.peerId])
      const hashes = [l1, l2, l3].map((l) => l!.fold.stateHash())
      // All at seq 2, where C parts from A, and one state.
      expect({ faulty, sameState: new Set(hashes).size === 1 }).toEqual({ faulty: [2, 2, 2], sameState: true })
    } finally {
      await Promise.all([l1, l2, l3].map(async (l) => { await l!.ledger.close() }))
    }
  })

  it('fork at seq 1 (both prev null) is found by sync in either direction', async () => {
    const eve = generateSigner()
    const a = await forkOf(eve, [], 1, 3, 1)
    const b = await forkOf(eve, [], 1, 2, 2)
    const [l1, l2] = await Promise.all([1, 2].map(async (i) => await openLedger(dbPath() + i)))
    try {
      await l1!.ledger.ingest(a)
      await l2!.ledger.ingest(b)
      await syncAll([l2!.ledger, l1!.ledger])
      expect(l1!.ledger.faulty()).toEqual({ [eve.peerId]: 1 })
      expect(l2!.ledger.faulty()).toEqual({ [eve.peerId]: 1 })
      expect(l1!.fold.stateHash()).toBe(l2!.fold.stateHash())
      expect([...l1!.fold.jobs()]).toEqual([])
    } finally {
      await Promise.all([l1, l2].map(async (l) => { await l!.ledger.close() }))
    }
  })

  it('a fresh ledger that learns evidence only from a faulty-aware peer folds the same state', async () => {
    const eve = generateSigner()
    const a = await forkOf(eve, [], 1, 6, 1)
    const b = await forkOf(eve, a, 4, 6, 2)
    const [l1, l2, l3] = await Promise.all([1, 2, 3].map(async (i) => await openLedger(dbPath() + i)))
    try {
      await l1!.ledger.ingest(a)
      await l2!.ledger.ingest(b)
      await syncAll([l1!.ledger, l2!.ledger])
      // L3 knows nothing and only ever syncs with L1, with tiny answers.
      for (let i = 0; i < 50; i++) {
        const bytes = await l1!.ledger.missingFor(l3!.ledger.versionVector(), { maxEvents: 2, maxBytes: 1 }, { faulty: l3!.ledger.faulty(), tips: await l3!.ledger.tips() })
        if (bytes.length === 0) break
        await l3!.ledger.ingest(bytes)
      }
      expect(l3!.ledger.faulty()).toEqual({ [eve.peerId]: 4 })
      expect(l3!.fold.stateHash()).toBe(l1!.fold.stateHash())
    } finally {
      await Promise.all([l1, l2, l3].map(async (l) => { await l!.ledger.close() }))
    }
  })

  it('a fresh peer catches up under the real caps though three equivocators have big evidence', async () => {
    const honest = generateSigner()
    const honestChain = await forkOf(honest, [], 1, 5, 9)
    const artifacts = Array.from({ length: 100 }, (_, i) => ({ name: 'n'.repeat(190) + String(i).padStart(3, '0'), kind: 'binary' as const, file: 'f'.repeat(240) + String(i).padStart(3, '0'), digest: `sha256:${'ab'.repeat(32)}`, size: 1 }))
    const evidence: DecodedEvent[] = []
    for (const eve of [generateSigner(), generateSigner(), generateSigner()]) {
      const first = await createEvent(eve, { seq: 1, prev: null, lamport: 1, time: 1 }, 'job.bid', { job: 'ab'.repeat(32), attempt: 1, labels: [], score: { freeSlots: 1, cores: 1, load: 0, warm: false, shareMode: 'shared', userActive: false, recentFailures: 0 } })
      evidence.push(first)
      for (let v = 0; v < 17; v++) {
        evidence.push(await createEvent(eve, { seq: 2, prev: first.id, lamport: 2 + v, time: 1 }, 'job.finished', { job: 'ab'.repeat(32), attempt: 1, status: 'succeeded', exitCode: 0, durations: { runMs: 1, totalMs: 1 }, artifacts, logDigest: null }))
      }
    }
    expect(Math.max(...evidence.map((e) => e.bytes.length))).toBeLessThan(64 * 1024)
    const [l1, l3] = await Promise.all([1, 3].map(async (i) => await openLedger(dbPath() + i)))
    try {
      await l1!.ledger.ingest(honestChain)
      for (const e of evidence) await l1!.ledger.ingest([e])
      expect(Object.keys(l1!.ledger.faulty()).length).toBe(3)
      // A fresh peer syncs from L1 with the mesh's real caps (SYNC_MAX_EVENTS 500, SYNC_MAX_BYTES 2 MiB).
      let rounds = 0
      for (; rounds < 64; rounds++) {
        const bytes = await l1!.ledger.missingFor(l3!.ledger.versionVector(), { maxEvents: 500, maxBytes: 2 * 1024 * 1024 }, { faulty: l3!.ledger.faulty(), tips: await l3!.ledger.tips() })
        if (bytes.length === 0) break
        await l3!.ledger.ingest(bytes)
      }
      expect({ rounds, vv: l3!.ledger.versionVector()[honest.peerId] }).toEqual({ rounds: expect.any(Number), vv: 5 })
      expect(rounds).toBeLessThan(64)
    } finally {
      await Promise.all([l1, l3].map(async (l) => { await l!.ledger.close() }))
    }
  })
  it('a late peer climbs a ladder of maximal Lamport jumps in a couple of rounds, not one round per rung', async () => {
    const K = 40
    const a = await openLedger(dbPath() + 'a')
    const b = await openLedger(dbPath() + 'b')
    const eve = generateSigner()
    const honest = generateSigner()
    try {
      await a.ledger.append(honest, 'job.announced', announceBody(1))
      let prev: string | null = null
      for (let i = 1; i <= K; i++) {
        const e: DecodedEvent = await createEvent(eve, { seq: i, prev, lamport: a.ledger.maxLamport() + LAMPORT_MAX_STEP, time: 1 }, 'job.bid', bidBody())
        prev = e.id
        expect((await a.ledger.ingest([e])).accepted.length).toBe(1) // as gossip delivers them, one by one
      }
      // Honest work after the ladder.
      for (let i = 0; i < 5; i++) await a.ledger.append(honest, 'job.announced', announceBody(10 + i))
      // B was offline; it now syncs with A the way the mesh does: one round per periodic sync (answers are not full).
      let rounds = 0
      while (b.ledger.versionVector()[honest.peerId] !== 6 && rounds < 1000) {
        rounds++
        const bytes = await a.ledger.missingFor(b.ledger.versionVector(), { maxEvents: 500, maxBytes: 2 * 1024 * 1024 }, { faulty: b.ledger.faulty(), tips: await b.ledger.tips() })
        await b.ledger.ingest(bytes)
      }
      expect(rounds).toBeLessThanOrEqual(3)
    } finally {
      await a.ledger.close()
      await b.ledger.close()
    }
  })
})
