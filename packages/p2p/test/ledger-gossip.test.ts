/** Batched judging of ledger gossip: one ingest for messages arriving together, a verdict for each. */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { canonicalBytes, createFold, createInlineVerifier, createLedger, generateSigner, silentLogger, systemClock, type Ledger } from '@devq/core'
import { createLedgerJudge, ownEventPublisher } from '../src/ledger-gossip.ts'
import { joinBundle, splitBundle } from '../src/ledger-bundle.ts'
import { LEDGER_BUNDLE } from '../src/limits.ts'
import { chainEvents, tempDir } from './helpers.ts'

const dirs: string[] = []
const ledgers: Ledger[] = []
afterEach(async () => {
  await Promise.all(ledgers.splice(0).map(async (l) => { await l.close() }))
  await Promise.all(dirs.splice(0).map(async (d) => { await rm(d, { recursive: true, force: true }) }))
})

async function openLedger (): Promise<Ledger> {
  const dir = await tempDir()
  dirs.push(dir)
  const ledger = createLedger({ fold: createFold(), verifier: createInlineVerifier(), clock: systemClock, logger: silentLogger }, { path: join(dir, 'ledger') })
  await ledger.open()
  ledgers.push(ledger)
  return ledger
}

describe('ledger gossip judge', () => {
  it('ingests messages arriving together in one batch and gives each its own verdict', async () => {
    const ledger = await openLedger()
    const [a1, a2, a3, , a5] = await chainEvents(generateSigner(), 5)
    const [b1, other] = [...await chainEvents(generateSigner(), 1), ...await chainEvents(generateSigner(), 1)]
    if (a1 === undefined || a2 === undefined || a3 === undefined || a5 === undefined || b1 === undefined || other === undefined) throw new Error('fixture')
    await ledger.ingest([a1])
    const ingest = vi.spyOn(ledger, 'ingest')
    const judge = createLedgerJudge({ ledger, logger: silentLogger })
    // b1 signed by someone else's key: a forgery, which must cost the forwarder.
    const forged = canonicalBytes({ ...b1.event, sig: other.event.sig })
    const verdicts = await Promise.all([
      judge(a3.bytes), // arrives before its predecessor, which the same batch brings
      judge(a2.bytes),
      judge(forged),
      judge(a1.bytes), // already held
      judge(a5.bytes), // a4 is missing: sync with the sender
      judge(new TextEncoder().encode('{"not":')) // refused before any ingest
    ])
    expect(ingest).toHaveBeenCalledTimes(1)
    expect(ingest.mock.calls[0]?.[0]).toHaveLength(5)
    expect(verdicts).toEqual([
      { action: 'accept', gap: false },
      { action: 'accept', gap: false },
      { action: 'reject', reason: 'bad_signature', gap: false },
      { action: 'ignore', reason: 'duplicate', gap: false },
      { action: 'ignore', reason: 'gap', gap: true },
      { action: 'reject', reason: 'malformed', gap: false }
    ])
    expect(ledger.versionVector()[a1.event.author]).toBe(3)
  })

  it('caps a batch and ingests what arrived meanwhile in the next one', async () => {
    const ledger = await openLedger()
    const events = await chainEvents(generateSigner(), 5)
    const ingest = vi.spyOn(ledger, 'ingest')
    const judge = createLedgerJudge({ ledger, logger: silentLogger }, { limits: { maxEvents: 2, delayMs: 10 } })
    // The copy of the first event comes after that event's batch closed: the ledger calls it a duplicate.
    const verdicts = await Promise.all([...events, events[0]].map(async (ev) => await judge(ev?.bytes ?? new Uint8Array())))
    expect(ingest.mock.calls.map((c) => c[0].length)).toEqual([2, 2, 2])
    expect(verdicts.map((v) => v.action)).toEqual(['accept', 'accept', 'accept', 'accept', 'accept', 'ignore'])
  })

  it('ignores the whole batch when the ledger fails', async () => {
    const ledger = await openLedger()
    const events = await chainEvents(generateSigner(), 2)
    await ledger.close()
    const judge = createLedgerJudge({ ledger, logger: silentLogger })
    const verdicts = await Promise.all(events.map(async (ev) => await judge(ev.bytes)))
    expect(verdicts).toEqual(events.map(() => ({ action: 'ignore', reason: 'ledger_unavailable', gap: false })))
  })

  it('judges a bundle of one author\'s events as one message: accepted if any is new, rejected for any forgery', async () => {
    const ledger = await openLedger()
    const signer = generateSigner()
    const [a1, a2, a3, a4] = await chainEvents(signer, 4)
    if (a1 === undefined || a2 === undefined || a3 === undefined || a4 === undefined) throw new Error('fixture')
    const judge = createLedgerJudge({ ledger, logger: silentLogger })
    expect(await judge(joinBundle([a1, a2]))).toEqual({ action: 'accept', gap: false })
    // a2 is held already, a3 is new: worth forwarding.
    expect(await judge(joinBundle([a2, a3]))).toEqual({ action: 'accept', gap: false })
    expect(await judge(joinBundle([a1, a2, a3]))).toEqual({ action: 'ignore', reason: 'duplicate', gap: false })
    const forged = { ...a4, bytes: canonicalBytes({ ...a4.event, sig: a1.event.sig }) }
    expect(await judge(joinBundle([forged]))).toMatchObject({ action: 'reject', reason: 'bad_signature' })
    expect(ledger.versionVector()[signer.peerId]).toBe(3)
  })

  it('refuses bundles that mix authors, hold too many events, or hide a malformed part', async () => {
    const ledger = await openLedger()
    const [a1] = await chainEvents(generateSigner(), 1)
    const [b1] = await chainEvents(generateSigner(), 1)
    const many = await chainEvents(generateSigner(), LEDGER_BUNDLE.maxEvents + 1)
    if (a1 === undefined || b1 === undefined) throw new Error('fixture')
    const judge = createLedgerJudge({ ledger, logger: silentLogger })
    expect(await judge(joinBundle([a1, b1]))).toMatchObject({ action: 'reject', reason: 'malformed' })
    expect(await judge(joinBundle(many))).toMatchObject({ action: 'reject', reason: 'too_large' })
    const broken = new Uint8Array([...a1.bytes, 0x0a, ...new TextEncoder().encode('{"not":')])
    expect(await judge(broken)).toMatchObject({ action: 'reject', reason: 'malformed' })
    expect(ledger.size()).toBe(0)
  })

  it('gossips own events written while a message is out as one bundle, in seq order and within the caps', async () => {
    const signer = generateSigner()
    const events = await chainEvents(signer, 7)
    const sent: Uint8Array[] = []
    let release: () => void = () => {}
    const publish = async (data: Uint8Array): Promise<void> => {
      sent.push(data)
      if (sent.length === 1) await new Promise<void>((resolve) => { release = resolve })
    }
    const onAccepted = ownEventPublisher(signer.peerId, 0, publish, silentLogger, { maxEvents: 4, maxBytes: 1024 * 1024 })
    onAccepted(events.slice(0, 1))
    // While the first message is out, six more are written in two commits (and an old one again).
    onAccepted(events.slice(1, 4))
    onAccepted([events[0]!, ...events.slice(4)])
    release()
    await vi.waitFor(() => { expect(sent).toHaveLength(3) })
    const seqs = sent.map((m) => splitBundle(m, 64)!.map((part) => JSON.parse(new TextDecoder().decode(part)).seq as number))
    expect(seqs).toEqual([[1], [2, 3, 4, 5], [6, 7]])
  })
})
