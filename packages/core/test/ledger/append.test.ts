import { describe, expect, it } from 'vitest'
import { generateSigner } from '../../src/index.ts'
import { allEvents, announceBody, openLedger, useTempLedgerPath } from './helpers.ts'

describe('ledger append', () => {
  const dbPath = useTempLedgerPath()

  it('concurrent appends share writes yet form one unbroken chain, each resolving with its own event', async () => {
    const path = dbPath()
    const { ledger } = await openLedger(path)
    const signer = generateSigner()
    const made = await Promise.all(Array.from({ length: 60 }, async (_, i) => await ledger.append(signer, 'job.announced', announceBody(i))))
    expect(made.map((e) => e.event.seq)).toEqual(made.map((_, i) => i + 1))
    expect(made.map((e) => (e.event.body as { repo: string }).repo)).toEqual(made.map((_, i) => `repo-${i}`))
    made.forEach((e, i) => { expect(e.event.prev).toBe(i === 0 ? null : made[i - 1]!.id) })
    expect(new Set(made.map((e) => e.event.lamport)).size).toBe(60)
    expect(ledger.versionVector()).toEqual({ [signer.peerId]: 60 })
    await ledger.close()
    const again = await openLedger(path)
    expect((await allEvents(again.ledger)).map((e) => e.id)).toEqual(made.map((e) => e.id))
    await again.ledger.close()
  })

  it('rejects only the append whose body is invalid; the others are written', async () => {
    const { ledger } = await openLedger(dbPath())
    const signer = generateSigner()
    const results = await Promise.allSettled([
      ledger.append(signer, 'job.announced', announceBody(1)),
      ledger.append(signer, 'job.announced', { ...announceBody(2), priority: 'urgent' } as never),
      ledger.append(signer, 'job.announced', announceBody(3))
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'EventEncodeError' })
    expect(ledger.versionVector()[signer.peerId]).toBe(2)
    await ledger.close()
  })
})
