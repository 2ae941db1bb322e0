import { describe, expect, it } from 'vitest'
import { MemoryLevel } from 'memory-level'
import { generateSigner, type OpenDatabase } from '../../src/index.ts'
import { announces, bidders, bidsOn, foldedHash, openLedger } from './helpers.ts'

const PATH = 'memory://ledger'

describe('ledger database port', () => {
  it('runs on another abstract-level database and reopens the same state from it', async () => {
    const db = new MemoryLevel<Buffer, Uint8Array>({ keyEncoding: 'buffer', valueEncoding: 'view' })
    const paths: string[] = []
    // The same instance on every call, as a store directory would be the same files.
    const openDatabase: OpenDatabase = (path) => {
      paths.push(path)
      return db
    }

    const origin = generateSigner()
    const alice = generateSigner()
    const bob = generateSigner()
    const jobs = await announces(origin, 3)
    const ids = jobs.map((j) => j.id)
    const events = [...jobs, ...(await bidsOn(alice, ids)), ...(await bidsOn(bob, ids.slice(0, 2)))]

    const first = await openLedger(PATH, { openDatabase })
    const res = await first.ledger.ingest(events.map((e) => e.bytes))
    expect(res.accepted).toHaveLength(events.length)
    expect(res.rejected).toEqual([])
    const hash = first.fold.stateHash()
    expect(hash).toBe(foldedHash(events))
    expect(bidders(first.fold, ids)).toEqual([[alice.peerId, bob.peerId].sort(), [alice.peerId, bob.peerId].sort(), [alice.peerId]])
    const vv = first.ledger.versionVector()
    expect(vv).toEqual({ [origin.peerId]: 3, [alice.peerId]: 3, [bob.peerId]: 2 })
    const limits = { maxEvents: 1000, maxBytes: 1e9 }
    const missing = await first.ledger.missingFor({}, limits)
    const missingPart = await first.ledger.missingFor({ [alice.peerId]: 1 }, limits)
    expect(missing).toHaveLength(events.length)
    // The events live in the MemoryLevel instance, not on disk.
    expect((await db.keys().all()).length).toBeGreaterThan(events.length)
    await first.ledger.close()
    expect(db.status).toBe('closed')

    const second = await openLedger(PATH, { openDatabase })
    expect(paths).toEqual([PATH, PATH])
    expect(second.fold.stateHash()).toBe(hash)
    expect(second.ledger.versionVector()).toEqual(vv)
    expect(second.ledger.size()).toBe(events.length)
    expect(await second.ledger.missingFor({}, limits)).toEqual(missing)
    expect(await second.ledger.missingFor({ [alice.peerId]: 1 }, limits)).toEqual(missingPart)
    expect(missingPart).toHaveLength(events.length - 1)
    await second.ledger.close()
  })
})
