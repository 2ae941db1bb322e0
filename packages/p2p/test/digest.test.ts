import { join } from 'node:path'
import { rm } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createFold, createInlineVerifier, createLedger, generateSigner, silentLogger, systemClock, type Ledger, type LedgerSummary } from '@devq/core'
import { createDigestWatch } from '../src/digest.ts'
import { chainEvents, tempDir } from './helpers.ts'

const opened: { ledger: Ledger, dir: string }[] = []
afterEach(async () => {
  for (const { ledger, dir } of opened.splice(0)) {
    await ledger.close()
    await rm(dir, { recursive: true, force: true })
  }
})

async function ledger (): Promise<Ledger> {
  const dir = await tempDir()
  const l = createLedger({ fold: createFold(), verifier: createInlineVerifier(), clock: systemClock, logger: silentLogger }, { path: join(dir, 'ledger') })
  await l.open()
  opened.push({ ledger: l, dir })
  return l
}

/** A watch over `l` that records the pulls it asks for. */
function watch (l: Ledger, selfId: string): { requests: string[], observe: (peer: string, s: LedgerSummary) => Promise<void>, own: () => Promise<LedgerSummary> } {
  const requests: string[] = []
  const w = createDigestWatch({ ledger: l, selfId, logger: silentLogger, request: (peer, why) => { requests.push(`${why} ${peer.slice(-6)}`) } })
  return {
    requests,
    own: w.own,
    // The judgement is asynchronous (the own digest may need the ledger): let it finish.
    observe: async (peer, s) => { w.observe(peer, s); await new Promise((resolve) => setTimeout(resolve, 20)) }
  }
}

describe('sync on a ledger difference', () => {
  it('gives equal ledgers equal digests, and a ledger that gains an event another one', async () => {
    const [a, b] = [await ledger(), await ledger()]
    const author = generateSigner()
    const events = await chainEvents(author, 3)
    await a.ingest(events.map((e) => e.bytes))
    await b.ingest(events.map((e) => e.bytes))
    const [wa, wb] = [watch(a, 'self-a'), watch(b, 'self-b')]
    expect((await wa.own()).digest).toBe((await wb.own()).digest)
    await a.ingest((await chainEvents(generateSigner(), 1)).map((e) => e.bytes))
    expect((await wa.own()).digest).not.toBe((await wb.own()).digest)
  })

  it('pulls from a peer whose own chain is longer than what it holds of it, at once', async () => {
    const [mine, theirs] = [await ledger(), await ledger()]
    const peer = generateSigner()
    const chain = await chainEvents(peer, 2)
    await theirs.ingest(chain.map((e) => e.bytes))
    await mine.ingest([chain[0]!.bytes])
    const w = watch(mine, 'me')
    await w.observe(peer.peerId, { digest: 'f'.repeat(16), head: 2 })
    expect(w.requests).toEqual([`behind ${peer.peerId.slice(-6)}`])
  })

  it('pulls on a different digest only once the sender\'s stayed the same, and once per digest of theirs', async () => {
    const [mine, theirs] = [await ledger(), await ledger()]
    await theirs.ingest((await chainEvents(generateSigner(), 2)).map((e) => e.bytes))
    const peer = generateSigner().peerId
    const summary = await watch(theirs, peer).own()
    const w = watch(mine, 'me')
    await w.observe(peer, summary)
    expect(w.requests).toEqual([])
    await w.observe(peer, summary)
    expect(w.requests).toEqual([`digest ${peer.slice(-6)}`])
    await w.observe(peer, summary)
    expect(w.requests).toHaveLength(1)
    // Equal ledgers: no pull, however often they say so.
    const same = watch(theirs, 'other')
    for (let i = 0; i < 3; i++) await same.observe(peer, summary)
    expect(same.requests).toEqual([])
  })
})
