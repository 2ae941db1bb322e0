/**
 * Canonical JSON: object keys sorted by UTF-16 code unit, no whitespace, only finite numbers.
 * Every peer encodes the same value to the same bytes, which is what ids and signatures cover.
 */

/** A JSON value as carried in events. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const encoder = new TextEncoder()

/** Encodes `value` canonically to a string. Throws on values JSON cannot carry exactly. */
export function canonicalString (value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean': return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON: non-finite number')
      return JSON.stringify(value)
    case 'string': return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map(canonicalString).join(',') + ']'
      const obj = value as Record<string, unknown>
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort()
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalString(obj[k])).join(',') + '}'
    }
    default:
      throw new TypeError(`canonical JSON: cannot encode ${typeof value}`)
  }
}

/** Encodes `value` canonically to UTF-8 bytes. */
export function canonicalBytes (value: unknown): Uint8Array {
  return encoder.encode(canonicalString(value))
}
