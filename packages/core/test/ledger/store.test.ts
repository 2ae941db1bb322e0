import { existsSync } from 'node:fs'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ClassicLevel } from 'classic-level'
import {
  generateSigner, LedgerClosedError, LedgerCorruptError, LedgerLockedError, LedgerWriteError, moveStoreAside, type Ledger
} from '../../src/index.ts'
import { eventKey, statusKey } from '../../src/ledger/keys.ts'
import { allEvents, announceBody, bidBody, bids, bidsOn, foldedHash, JOB, openLedger, tempDir } from './helpers.ts'

/**
 * One awarded job, and twenty queued jobs with bids by two more peers (one on every job, one on
 * seven), so that every event shows in the fold's state.
 */
async function fill (ledger: Ledger): Promise<void> {
  const me = generateSigner()
  const job = await ledger.append(me, 'job.announced', announceBody())
  await ledger.append(me, 'job.bid', bidBody(job.id))
  await ledger.append(me, 'job.awarded', { job: job.id, attempt: 1, runner: me.peerId })
  const queued: string[] = []
  for (let i = 1; i <= 20; i++) queued.push((await ledger.append(me, 'job.announced', announceBody(i))).id)
  await ledger.ingest([...(await bidsOn(generateSigner(), queued)), ...(await bidsOn(generateSigner(), queued.slice(0, 7)))])
}

async function rawDb (path: string): Promise<ClassicLevel<Buffer, Uint8Array>> {
  const db = new ClassicLevel<Buffer, Uint8Array>(path, { keyEncoding: 'buffer', valueEncoding: 'view' })
  await db.open()
  return db
}

async function expectCorrupt (path: string, detail: RegExp): Promise<void> {
  const err = await openLedger(path).then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(LedgerCorruptError)
  const e = err as LedgerCorruptError
  expect(e.message).toContain(path)
  expect(e.message).toContain('--rebuild-ledger')
  expect(e.data).toMatchObject({ path, rebuildFlag: '--rebuild-ledger' })
  expect(e.data.detail).toMatch(detail)
}

describe('ledger store', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>
  let path: string
  beforeEach(async () => {
    tmp = await tempDir()
    path = join(tmp.dir, 'db')
  })
  afterEach(async () => { await tmp.remove() })

  it('reopen restores heads, lamport, indexes and the same fold input', async () => {
    const { ledger, fold } = await openLedger(path)
    await fill(ledger)
    const stored = await allEvents(ledger)
    const before = { vv: ledger.versionVector(), lamport: ledger.maxLamport(), size: ledger.size(), hash: fold.stateHash(), awarded: await ledger.jobsByState('awarded') }
    expect(before.hash).toBe(foldedHash(stored))
    await ledger.close()
    await ledger.close()
    const again = await openLedger(path)
    expect({ vv: again.ledger.versionVector(), lamport: again.ledger.maxLamport(), size: again.ledger.size(), hash: again.fold.stateHash(), awarded: await again.ledger.jobsByState('awarded') }).toEqual(before)
    // The reopened fold holds every stored event: 21 jobs, and the bids of both bidders.
    expect(before.size).toBe(stored.length)
    expect([...again.fold.jobs()]).toHaveLength(21)
    expect([...again.fold.jobs()].map((j) => j.bids.length).sort((a, b) => a - b)).toEqual([0, ...Array<number>(13).fill(1), ...Array<number>(7).fill(2)])
    expect(before.awarded).toHaveLength(1)
    await again.ledger.close()
  })

  it('reopen rewrites a status index that disagrees with the fold', async () => {
    const { ledger } = await openLedger(path)
    await fill(ledger)
    const [job] = await ledger.jobsByState('awarded')
    await ledger.close()
    const db = await rawDb(path)
    await db.del(statusKey('awarded', job!))
    await db.put(statusKey('failed', JOB), new Uint8Array(0))
    await db.close()
    const again = await openLedger(path)
    expect(await again.ledger.jobsByState('awarded')).toEqual([job])
    expect(await again.ledger.jobsByState('failed')).toEqual([])
    await again.ledger.close()
  })

  it('a second opener gets LedgerLockedError; a closed ledger refuses calls', async () => {
    const { ledger } = await openLedger(path)
    const err = await openLedger(path).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(LedgerLockedError)
    expect((err as LedgerLockedError).code).toBe('LedgerLockedError')
    await ledger.close()
    expect(() => ledger.versionVector()).toThrow(LedgerClosedError)
    await expect(ledger.open()).rejects.toBeInstanceOf(LedgerClosedError)
  })

  it('a failed write closes the ledger and leaves nothing of the batch on disk', async () => {
    const { ledger } = await openLedger(path)
    await fill(ledger)
    const vv = ledger.versionVector()
    const db = (ledger as unknown as { db: { batch: () => Promise<void> } }).db
    db.batch = async () => { throw new Error('disk full') }
    const err = await ledger.ingest(await bids(generateSigner(), 5)).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(LedgerWriteError)
    await expect(ledger.ingest([])).rejects.toBeInstanceOf(LedgerClosedError)
    const again = await openLedger(path)
    expect(again.ledger.versionVector()).toEqual(vv)
    await again.ledger.close()
  })

  it('a fold that throws closes the ledger without writing the batch', async () => {
    const { ledger, fold } = await openLedger(path)
    await fill(ledger)
    const vv = ledger.versionVector()
    fold.apply = () => { throw new Error('fold bug') }
    await expect(ledger.ingest(await bids(generateSigner(), 3))).rejects.toBeInstanceOf(LedgerWriteError)
    await expect(ledger.close()).resolves.toBeUndefined()
    const again = await openLedger(path)
    expect(again.ledger.versionVector()).toEqual(vv)
    await again.ledger.close()
  })

  it('garbage in the LevelDB files is LedgerCorruptError naming the path, and stays so', async () => {
    const { ledger } = await openLedger(path)
    await fill(ledger)
    await ledger.close()
    for (const file of await readdir(path)) {
      if (file !== 'LOCK' && !file.startsWith('LOG')) await writeFile(join(path, file), Buffer.alloc(4096, 0x5a))
    }
    await expectCorrupt(path, /CURRENT|Corruption/)
  })

  it('a damaged log that LevelDB silently skips is still reported, on this and later opens', async () => {
    const { ledger } = await openLedger(path)
    await fill(ledger)
    await ledger.close()
    const log = (await readdir(path)).find((f) => f.endsWith('.log'))!
    await writeFile(join(path, log), Buffer.alloc(8192, 0x5a))
    await expectCorrupt(path, /Corruption|meta record/)
    await expectCorrupt(path, /Corruption|meta record/)
  })

  it('an unparsable event value or a broken chain is LedgerCorruptError', async () => {
    const { ledger } = await openLedger(path)
    const alice = generateSigner()
    await ledger.ingest(await bids(alice, 5))
    await ledger.close()
    const db = await rawDb(path)
    await db.put(eventKey(alice.peerId, 3), Buffer.from('{"not": "an event"'))
    await db.close()
    await expectCorrupt(path, /unparsable/)

    await tmp.remove()
    tmp = await tempDir()
    path = join(tmp.dir, 'db')
    const second = await openLedger(path)
    await second.ledger.ingest(await bids(alice, 5))
    await second.ledger.close()
    const db2 = await rawDb(path)
    await db2.del(eventKey(alice.peerId, 3))
    await db2.close()
    await expectCorrupt(path, /jumps from seq 2 to 4/)
  })

  it('a head record that disagrees with the chain is LedgerCorruptError', async () => {
    const { ledger } = await openLedger(path)
    const alice = generateSigner()
    await ledger.ingest(await bids(alice, 3))
    await ledger.close()
    const db = await rawDb(path)
    await db.del(eventKey(alice.peerId, 3))
    await db.close()
    await expectCorrupt(path, /head of/)
  })

  it('rebuild moves the store aside and starts empty', async () => {
    const { ledger } = await openLedger(path)
    await fill(ledger)
    await ledger.close()
    const db = await rawDb(path)
    await db.put(eventKey('x', 1), Buffer.from('garbage'))
    await db.close()
    await expectCorrupt(path, /./)
    const fresh = await openLedger(path, { rebuild: true })
    expect(fresh.ledger.size()).toBe(0)
    expect(fresh.ledger.versionVector()).toEqual({})
    await fresh.ledger.close()
    const aside = (await readdir(tmp.dir)).filter((f) => f.startsWith('db.corrupt-'))
    expect(aside).toHaveLength(1)
    expect(existsSync(join(tmp.dir, aside[0]!, 'CURRENT'))).toBe(true)
    expect(await moveStoreAside(join(tmp.dir, 'nothing-here'))).toBeUndefined()
    const moved = await moveStoreAside(path, Date.UTC(2030, 0, 2, 3, 4, 5))
    expect(moved).toBe(`${path}.corrupt-2030-01-02T03-04-05-000Z`)
  })
})
