import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createRedactor, MASK } from '../../src/logs/redact.ts'

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8')
const enc = (s: string): Buffer => Buffer.from(s, 'utf8')

/** Feeds `input` in pieces cut at `cuts` and returns everything the redactor gave back, in order. */
function streamed (secrets: string[], input: Uint8Array, cuts: number[]): Buffer {
  const redactor = createRedactor(secrets)
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let at = 0
  for (const p of [...points, input.length]) {
    out.push(redactor.write(input.subarray(at, p)))
    at = p
  }
  out.push(redactor.flush())
  return Buffer.concat(out)
}

/** The forms a secret is masked in, spelled out independently of the code under test. */
function formsOf (secret: string): Buffer[] {
  const raw = enc(secret)
  const std = raw.toString('base64')
  const url = std.replace(/\+/g, '-').replace(/\//g, '_')
  const forms = [raw, enc(std), enc(std.replace(/=+$/, '')), enc(url), enc(url.replace(/=+$/, ''))]
  if (secret.includes('\n')) forms.push(enc(secret.replace(/\r?\n/g, '\r\n')))
  return forms
}

/** Reference: find every occurrence of every form, merge the overlapping ones, replace each run with the mask. */
function naive (secrets: string[], input: Buffer): Buffer {
  const needles = secrets.filter((s) => s.length > 0).flatMap(formsOf)
  const spans: Array<[number, number]> = []
  for (let i = 0; i < input.length; i++) {
    for (const n of needles) if (input.subarray(i, i + n.length).equals(n)) spans.push([i, i + n.length])
  }
  spans.sort((a, b) => a[0] - b[0])
  const out: Buffer[] = []
  let at = 0
  let k = 0
  while (k < spans.length) {
    const start = spans[k]![0]
    let end = spans[k]![1]
    for (k++; k < spans.length && spans[k]![0] < end; k++) end = Math.max(end, spans[k]![1])
    out.push(input.subarray(at, start), enc(MASK))
    at = end
  }
  out.push(input.subarray(at))
  return Buffer.concat(out)
}

describe('secret masking', () => {
  it('masks a secret split across writes where retrying one byte later would leak it (aba + bac)', () => {
    const redactor = createRedactor(['abac'])
    const first = text(redactor.write(enc('aba')))
    const second = text(redactor.write(enc('bac')))
    const out = first + second + text(redactor.flush())
    expect(out).toBe(`ab${MASK}`)
    expect(out).not.toContain('abac')
    expect(first).toBe('')
  })

  it('masks the base64 forms, standard and URL-safe, with and without padding', () => {
    const secret = 'k3y??>>~'
    const input = enc('raw k3y??>>~ std azN5Pz8+Pn4= bare azN5Pz8+Pn4 url azN5Pz8-Pn4= urlbare azN5Pz8-Pn4.')
    expect(text(streamed([secret], input, [3, 17, 30, 44, 61]))).toBe(`raw ${MASK} std ${MASK} bare ${MASK} url ${MASK} urlbare ${MASK}.`)
  })

  it('holds back only what could still become a secret', () => {
    const redactor = createRedactor(['hunter2'])
    expect(text(redactor.write(enc('password: hun')))).toBe('password: ')
    expect(text(redactor.write(enc('gry\n')))).toBe('hungry\n')
    expect(text(redactor.write(enc('again: hunter')))).toBe('again: ')
    expect(text(redactor.write(enc('2!')))).toBe(`${MASK}!`)
    expect(text(redactor.flush())).toBe('')
  })

  it('gives overlapping occurrences one mask and touching ones a mask each', () => {
    expect(text(streamed(['abab', 'bcd'], enc('xababcdx ababab'), [5]))).toBe(`x${MASK}x ${MASK}`)
    expect(text(streamed(['abc'], enc('abcabc'), [2, 4]))).toBe(`${MASK}${MASK}`)
  })

  it('masks short secrets too, and ignores empty ones', () => {
    expect(text(streamed(['a', ''], enc('banana YQ=='), [1, 4]))).toBe(`b${MASK}n${MASK}n${MASK} ${MASK}`)
    expect(text(streamed([''], enc('anything'), [3]))).toBe('anything')
  })

  it('masks a multi-line secret also where a terminal wrote it with CRLF', () => {
    expect(text(streamed(['line one\nline two'], enc('a line one\r\nline two b'), [9, 11]))).toBe(`a ${MASK} b`)
  })

  it('keeps memory to the longest secret on endless near-misses and endless overlapping matches', () => {
    const nearMiss = createRedactor(['aaaaaaab'])
    const chunk = Buffer.alloc(64 * 1024, 'a')
    let out = 0
    for (let i = 1; i <= 64; i++) {
      out += nearMiss.write(chunk).length
      // Everything but the last 7 bytes (which could begin `aaaaaaab`) is already out.
      expect(out).toBe(i * chunk.length - 7)
    }
    expect(out + nearMiss.flush().length).toBe(64 * chunk.length)
    const run = createRedactor(['aa'])
    const outs = Array.from({ length: 64 }, () => text(run.write(chunk)))
    expect(outs.join('') + text(run.flush())).toBe(MASK)
  })

  it('gives, for any split, the one-shot result, which has no secret left (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', 'é', '\n')
    const secret = fc.string({ unit: alphabet, minLength: 1, maxLength: 6 })
    const scenario = fc.array(secret, { minLength: 1, maxLength: 4 }).chain((secrets) => fc.record({
      secrets: fc.constant(secrets),
      pieces: fc.array(fc.oneof(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.constantFrom(...secrets),
        fc.constantFrom(...secrets).map((s) => enc(s).toString('base64')),
        fc.constantFrom(...secrets).map((s) => enc(s).toString('base64url'))
      ), { maxLength: 12 }),
      cuts: fc.array(fc.nat(), { maxLength: 10 })
    }))
    fc.assert(fc.property(scenario, ({ secrets, pieces, cuts }) => {
      const input = enc(pieces.join(''))
      const oneShot = streamed(secrets, input, [])
      const split = streamed(secrets, input, cuts)
      expect(split.equals(oneShot)).toBe(true)
      expect(oneShot.equals(naive(secrets, input))).toBe(true)
      for (const s of secrets) for (const form of formsOf(s)) expect(split.includes(form)).toBe(false)
    }), { numRuns: 1500 })
  })

  it('gives the same bytes split one byte at a time (property)', () => {
    const unit = fc.constantFrom('x', 'y', 'z')
    fc.assert(fc.property(fc.array(fc.string({ unit, minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }), fc.string({ unit, maxLength: 60 }), (secrets, body) => {
      const input = enc(body)
      const everyByte = Array.from({ length: input.length }, (_, i) => i)
      expect(streamed(secrets, input, everyByte).equals(naive(secrets, input))).toBe(true)
    }), { numRuns: 500 })
  })
})
