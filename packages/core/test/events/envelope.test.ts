import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { canonicalString, createEvent, createInlineVerifier, decodeEvent, generateSigner, MAX_EVENT_BYTES, publicKeyFromPeerId, peerIdFromPublicKey, signatureBytes } from '../../src/index.ts'

const header = { seq: 1, prev: null, lamport: 1, time: 1_700_000_000_000 }

describe('events', () => {
  it('canonical encoding does not depend on key order', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean())), (obj) => {
      const reversed = Object.fromEntries(Object.entries(obj).reverse())
      expect(canonicalString(reversed)).toBe(canonicalString(obj))
    }))
  })

  it('peer ids round-trip their Ed25519 key and look like libp2p ids', () => {
    const signer = generateSigner()
    expect(signer.peerId.startsWith('12D3KooW')).toBe(true)
    const key = publicKeyFromPeerId(signer.peerId)
    expect(key).toBeDefined()
    expect(peerIdFromPublicKey(key!)).toBe(signer.peerId)
    expect(publicKeyFromPeerId('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N')).toBeUndefined()
  })

  it('signs, encodes and decodes an event; a flipped byte fails verification', async () => {
    const signer = generateSigner()
    const ev = await createEvent(signer, header, 'job.cancel_requested', { job: 'a'.repeat(64) })
    const back = decodeEvent(ev.bytes)
    expect(back.ok).toBe(true)
    if (!back.ok) return
    expect(back.value.id).toBe(ev.id)
    const verifier = createInlineVerifier()
    const good = { author: signer.peerId, message: back.value.signed, signature: signatureBytes(back.value.event) }
    const tampered = decodeEvent(Buffer.from(Buffer.from(ev.bytes).toString().replace('"lamport":1', '"lamport":2')))
    expect(tampered.ok).toBe(true)
    if (!tampered.ok) return
    const bad = { author: signer.peerId, message: tampered.value.signed, signature: signatureBytes(tampered.value.event) }
    expect(await verifier.verifyBatch([good, bad])).toEqual([true, false])
  })

  it('rejects bad input with a reason and never throws', () => {
    expect(decodeEvent(new Uint8Array(MAX_EVENT_BYTES + 1))).toMatchObject({ ok: false, reason: 'too_large' })
    expect(decodeEvent(Buffer.from('{nope'))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(decodeEvent(Buffer.from('{"v":1}'))).toMatchObject({ ok: false, reason: 'bad_schema' })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(decodeEvent(bytes).ok).toBe(false)
    }))
  })
})
