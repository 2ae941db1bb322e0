/** The Content-Disposition of downloads, for any name a peer's ledger event could carry. */
import { validateHeaderValue } from 'node:http'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { attachment } from '../src/attachment.ts'

const parts = (header: string): { ascii: string, utf8: string } => {
  const m = /^attachment; filename="([^"]*)"; filename\*=UTF-8''(\S*)$/.exec(header)
  if (m === null) throw new Error(`not an attachment header: ${header}`)
  return { ascii: m[1]!, utf8: decodeURIComponent(m[2]!) }
}

describe('attachment', () => {
  it('names a plain file as it is, and a UTF-8 one in filename*', () => {
    expect(attachment('hello-1.0.tar.gz')).toBe('attachment; filename="hello-1.0.tar.gz"; filename*=UTF-8\'\'hello-1.0.tar.gz')
    expect(parts(attachment('bücher (1).txt'))).toEqual({ ascii: 'b_cher (1).txt', utf8: 'bücher (1).txt' })
    expect(parts(attachment('../"x"\r\nSet-Cookie: a\\b'))).toEqual({ ascii: '..__x___Set-Cookie: a_b', utf8: '..__x___Set-Cookie: a_b' })
    expect(parts(attachment('..')).utf8).toBe('_..')
  })

  it('gives a header Node sends for any name, whose filename* is the ASCII name wherever that is ASCII', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
      const header = attachment(name)
      expect(() => { validateHeaderValue('content-disposition', header) }).not.toThrow()
      const { ascii, utf8 } = parts(header)
      expect(ascii).toMatch(/^[\x20-\x7e]*$/)
      expect(ascii).not.toMatch(/["\\/]/)
      // eslint-disable-next-line no-control-regex -- control characters are what the header must not hold
      expect(utf8).not.toMatch(/[\u0000-\u001f\u007f"\\/]/)
      const wide = [...utf8]
      expect([...ascii]).toHaveLength(wide.length)
      expect([...ascii].every((c, i) => c === wide[i] || c === '_')).toBe(true)
      expect(/^\.*$/.test(utf8)).toBe(false)
    }), { numRuns: 2000 })
  })
})
