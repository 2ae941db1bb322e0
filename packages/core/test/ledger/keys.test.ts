import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeTrusted, generateSigner } from '../../src/index.ts'
import { decodeWhere, encodeWhere, eventKey, jobKey, jobRange, parseEventKey, parseJobKey, parseStatusKey, statusKey, statusRange } from '../../src/ledger/keys.ts'
import { decodeStored } from '../../src/ledger/stored.ts'
import { bidBody, chain, JOB } from './helpers.ts'

const author = fc.stringMatching(/^[1-9A-HJ-NP-Za-km-z]{40,60}$/)
const seq = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })

describe('ledger keys', () => {
  it('event keys sort by author then seq and parse back', () => {
    fc.assert(fc.property(author, seq, author, seq, (a1, s1, a2, s2) => {
      expect(parseEventKey(eventKey(a1, s1))).toEqual({ author: a1, seq: s1 })
      const byKey = Math.sign(Buffer.compare(eventKey(a1, s1), eventKey(a2, s2)))
      const byValue = a1 === a2 ? Math.sign(s1 - s2) : a1 < a2 ? -1 : 1
      expect(byKey).toBe(byValue)
    }))
  })

  it('id, job and status entries round-trip and stay inside their ranges', async () => {
    fc.assert(fc.property(author, seq, fc.constantFrom('chain' as const, 'evidence' as const), (a, s, kind) => {
      expect(decodeWhere(encodeWhere(kind, a, s))).toEqual({ kind, author: a, seq: s })
    }))
    const ev = await chain(generateSigner(), 2 ** 40).next('job.bid', bidBody())
    const key = jobKey(JOB, ev)
    expect(parseJobKey(key)).toEqual({ author: ev.event.author, seq: 1 })
    const range = jobRange(JOB)
    expect(Buffer.compare(key, range.gte)).toBe(1)
    expect(Buffer.compare(key, range.lt)).toBe(-1)
    expect(Buffer.compare(jobKey('ac'.repeat(32), ev), range.lt)).toBe(1)
    const status = statusKey('running', JOB)
    expect(parseStatusKey(status)).toEqual({ status: 'running', job: JOB })
    expect(Buffer.compare(status, statusRange('running').gte)).toBe(1)
    expect(Buffer.compare(status, statusRange('running').lt)).toBe(-1)
    expect(Buffer.compare(statusKey('queued', 'ff'.repeat(32)), statusRange('running').gte)).toBe(-1)
    expect(Buffer.compare(statusKey('succeeded', '00'.repeat(32)), statusRange('running').lt)).toBe(1)
  })

  it('stored events decode to exactly what decodeTrusted gives', async () => {
    const c = chain(generateSigner())
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 40 }), fc.boolean(), async (reason, withReason) => {
      const ev = await c.next('job.cancel_requested', withReason ? { job: JOB, reason: reason + ',"sig":"x"' } : { job: JOB })
      const stored = decodeStored(ev.bytes)
      const trusted = decodeTrusted(ev.bytes)
      expect(stored.id).toBe(trusted.id)
      expect(stored.event).toEqual(trusted.event)
      expect(Buffer.from(stored.signed).equals(trusted.signed)).toBe(true)
      expect(Buffer.from(stored.signed).equals(ev.signed)).toBe(true)
    }), { numRuns: 100 })
  })
})
