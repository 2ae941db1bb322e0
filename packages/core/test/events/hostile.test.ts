import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { canonicalBytes, createEvent, decodeEvent, generateSigner, REJECT_REASONS, type RejectReason } from '../../src/index.ts'
import { bidBody, openLedger, useTempLedgerPath } from '../ledger/helpers.ts'

const header = { seq: 1, prev: null, lamport: 1, time: 1_700_000_000_000 }
const REASONS: ReadonlySet<RejectReason> = new Set(REJECT_REASONS)

/** The names plain objects inherit, and a few more that code looks up by name. */
const builtinNames = [...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Array.prototype), ...Object.getOwnPropertyNames(Function.prototype), 'prototype', '__proto__', 'then']

/** Values a hostile member might put anywhere in an event. */
const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(...builtinNames),
    fc.constantFrom(0, -0, -1, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, 1e308, -1e308, 0.1, Number.MAX_SAFE_INTEGER),
    fc.string({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...builtinNames), fc.string({ maxLength: 8 })), tie('v'), { maxKeys: 4 })
  )
})).v

/** A body nested `depth` deep, or `width` keys wide. */
const deepBody = fc.integer({ min: 1, max: 3000 }).map((depth) => {
  let v: unknown = 'bottom'
  for (let i = 0; i < depth; i++) v = { job: v }
  return v
})
const wideBody = fc.integer({ min: 1, max: 5000 }).map((width) => Object.fromEntries(Array.from({ length: width }, (_, i) => [`k${i}`, i])))

describe('events from a hostile member', () => {
  const dbPath = useTempLedgerPath()

  it('has one spelling: a re-spelled signature, whitespace, key order or number form is refused', async () => {
    const signer = generateSigner()
    const ev = await createEvent(signer, header, 'job.bid', bidBody())
    const text = Buffer.from(ev.bytes).toString('utf8')
    expect(decodeEvent(ev.bytes)).toMatchObject({ ok: true, value: { id: ev.id } })
    // The last of 86 characters carries 2 bits of the signature and 4 unused ones.
    const last = ev.event.sig.at(-1)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!
    expect(Buffer.from(ev.event.sig.slice(0, -1) + sibling, 'base64url')).toEqual(Buffer.from(ev.event.sig, 'base64url'))
    const respelled = text.replace(ev.event.sig, ev.event.sig.slice(0, -1) + sibling)
    const spellings = [
      respelled,
      text.replace('{', '{ '),
      JSON.stringify({ sig: ev.event.sig, ...JSON.parse(text) as object }),
      text.replace('"seq":1', '"seq":1.0'),
      text.replace('"seq":1', '"seq":1e0'),
      text.replace('"type":"job.bid"', '"type":"job\\u002ebid"')
    ]
    for (const s of spellings) {
      expect(s).not.toBe(text)
      expect(decodeEvent(Buffer.from(s)), s.slice(0, 80)).toMatchObject({ ok: false, reason: 'not_canonical' })
    }
    const { ledger } = await openLedger(dbPath())
    const res = await ledger.ingest([ev.bytes, ...spellings.map((s) => Buffer.from(s))])
    expect(res.accepted.map((e) => e.id)).toEqual([ev.id])
    expect(res.rejected.map((r) => r.reason)).toEqual(spellings.map(() => 'not_canonical'))
    expect(ledger.stats().equivocations).toBe(0)
    await ledger.close()
  })

  it('looks up event types by their own name only', async () => {
    const signer = generateSigner()
    const { ledger } = await openLedger(dbPath())
    for (const type of builtinNames) {
      const unsigned = { v: 1, author: signer.peerId, ...header, type, body: {} }
      const bytes = canonicalBytes({ ...unsigned, sig: Buffer.from(await signer.sign(canonicalBytes(unsigned))).toString('base64url') })
      expect(decodeEvent(bytes), type).toMatchObject({ ok: false, reason: type.length > 64 ? 'bad_schema' : 'unknown_type' })
      const res = await ledger.ingest([bytes])
      expect(res.rejected.map((r) => r.reason), type).toEqual(['unknown_type'])
    }
    await ledger.close()
  })

  it('never throws on well-formed envelopes with hostile values, and names a reason for each it refuses', async () => {
    const signer = generateSigner()
    const { ledger } = await openLedger(dbPath())
    const field = fc.constantFrom('v', 'author', 'seq', 'prev', 'lamport', 'time', 'type', 'body', 'sig')
    const body = fc.oneof(hostileValue, deepBody, wideBody, hostileValue.map((job) => ({ ...bidBody(), job })), hostileValue.map((score) => ({ ...bidBody(), score })))
    const envelope = fc.record({ field, value: hostileValue, body, type: fc.constantFrom('job.bid', 'job.announced', 'job.finished', ...builtinNames), resign: fc.boolean() })
    await fc.assert(fc.asyncProperty(fc.array(envelope, { minLength: 1, maxLength: 4 }), async (cases) => {
      const inputs: Uint8Array[] = []
      for (const c of cases) {
        const unsigned: Record<string, unknown> = { v: 1, author: signer.peerId, ...header, type: c.type, body: c.body }
        if (c.field !== 'sig') unsigned[c.field] = c.value
        let sig: unknown = Buffer.from(await signer.sign(safeBytes(unsigned))).toString('base64url')
        if (c.field === 'sig') sig = c.value
        const text = safeString({ ...unsigned, sig })
        if (text !== undefined) inputs.push(Buffer.from(c.resign ? text : text.replace(/,/, ', ')))
      }
      for (const bytes of inputs) {
        const res = decodeEvent(bytes)
        if (!res.ok) expect(REASONS.has(res.reason), res.reason).toBe(true)
      }
      const res = await ledger.ingest(inputs)
      expect(res.accepted.length + res.rejected.length + res.duplicates).toBe(inputs.length)
      for (const r of res.rejected) expect(REASONS.has(r.reason), r.reason).toBe(true)
    }), { numRuns: 150 })
    await ledger.close()
  })
})

/** Canonical bytes, or the JSON text when canonical encoding refuses the value (a hostile one may be unencodable). */
function safeBytes (value: unknown): Uint8Array {
  try {
    return canonicalBytes(value)
  } catch {
    return Buffer.from(safeString(value) ?? 'null')
  }
}

function safeString (value: unknown): string | undefined {
  try {
    return Buffer.from(canonicalBytes(value)).toString('utf8')
  } catch {
    try {
      return JSON.stringify(value)
    } catch {
      return undefined
    }
  }
}
