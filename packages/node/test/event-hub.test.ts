/** The event stream's ring and resume rules, tickets, and how log bytes are cut into messages. */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createEventHub } from '../src/event-hub.ts'
import { createTicketStore } from '../src/event-tickets.ts'
import { cutPoint } from '../src/event-logs.ts'

const seqOf = (frame: string): number => (JSON.parse(frame) as { seq: number }).seq

describe('the event hub', () => {
  it('replays exactly the events after since, and says when the ring no longer holds them', () => {
    const hub = createEventHub({ ringEvents: 5 })
    expect(hub.after(0)).toEqual([])
    for (let i = 0; i < 8; i++) hub.publish('job.changed', { i })
    expect(hub.seq()).toBe(8)
    expect(hub.after(3)!.map(seqOf)).toEqual([4, 5, 6, 7, 8])
    expect(hub.after(6)!.map(seqOf)).toEqual([7, 8])
    expect(hub.after(8)).toEqual([])
    expect(hub.after(2)).toBeUndefined()
    expect(hub.after(9)).toBeUndefined()
    expect(hub.stats().ring).toMatchObject({ events: 5, oldestSeq: 4 })
  })

  it('keeps its ring within its byte bound, whatever the events', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 300 }), { maxLength: 200 }), (texts) => {
      const hub = createEventHub({ ringBytes: 2000 })
      for (const t of texts) hub.publish('x', t)
      const { ring, seq } = hub.stats()
      expect(ring.bytes <= 2000 || ring.events === 1).toBe(true)
      const kept = hub.after(seq - ring.events)
      expect(kept?.map(seqOf)).toEqual(Array.from({ length: ring.events }, (_, i) => seq - ring.events + 1 + i))
    }))
  })

  it('delivers each event once to each listener, in seq order', () => {
    const hub = createEventHub()
    const got: number[] = []
    const off = hub.listen((e) => { got.push(e.seq) })
    hub.publish('a', 1)
    hub.publish('b', 2)
    off()
    hub.publish('c', 3)
    expect(got).toEqual([1, 2])
  })
})

describe('tickets', () => {
  it('are valid once and for their time only', () => {
    let now = 0
    const tickets = createTicketStore(() => now, 30_000)
    const { ticket } = tickets.issue()
    expect(ticket).toMatch(/^[0-9a-f]{64}$/)
    expect(tickets.redeem(ticket)).toBe(true)
    expect(tickets.redeem(ticket)).toBe(false)
    const late = tickets.issue().ticket
    now = 30_001
    expect(tickets.redeem(late)).toBe(false)
    expect(tickets.redeem('f'.repeat(64))).toBe(false)
  })
})

describe('cutting log bytes into messages', () => {
  it('joins back to the input, cuts after newlines, and never splits a character', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant('\n'), fc.string({ unit: 'grapheme', maxLength: 40 })), { maxLength: 60 }), fc.integer({ min: 4, max: 64 }), (parts, limit) => {
      const bytes = Buffer.from(parts.join(''))
      const pieces: Buffer[] = []
      let rest = bytes
      for (;;) {
        const cut = cutPoint(rest, limit, true)
        if (cut === 0) break
        pieces.push(rest.subarray(0, cut))
        rest = rest.subarray(cut)
      }
      expect(Buffer.concat(pieces).equals(bytes)).toBe(true)
      for (const p of pieces) {
        expect(p.length).toBeLessThanOrEqual(limit)
        expect(Buffer.from(p.toString('utf8')).equals(p)).toBe(true)
      }
    }))
  })

  it('holds back a partial line until more comes, unless it is the end', () => {
    expect(cutPoint(Buffer.from('one\ntw'), 100, false)).toBe(4)
    expect(cutPoint(Buffer.from('tw'), 100, false)).toBe(0)
    expect(cutPoint(Buffer.from('tw'), 100, true)).toBe(2)
  })
})
