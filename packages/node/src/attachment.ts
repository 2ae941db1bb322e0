/**
 * The `Content-Disposition` of a download the control API answers (an artifact, a log), so a
 * browser saves it under a name of its own: an ASCII `filename` for every client, and the name
 * as it is in `filename*` (RFC 6266, UTF-8 percent-encoded) for those that read it.
 */

/** Longest file name offered, in characters (most file systems take 255 bytes). */
const MAX_NAME = 200

/**
 * The header's value for saving as `name`. The name may come from another peer's ledger event:
 * control characters, quotes, backslashes and slashes become `_` (no header injection, no path),
 * as do names of dots only; the ASCII form also replaces whatever is not printable ASCII.
 */
export function attachment (name: string): string {
  // A UTF-8 round trip turns lone surrogates (which encodeURIComponent refuses) into U+FFFD.
  // eslint-disable-next-line no-control-regex -- control characters are what must not reach a header
  let safe = [...Buffer.from(name, 'utf8').toString('utf8').replace(/[\u0000-\u001f\u007f-\u009f"\\/]/g, '_')].slice(0, MAX_NAME).join('')
  if (/^\.*$/.test(safe)) safe = `_${safe}`
  const ascii = safe.replace(/[^\x20-\x7e]/gu, '_')
  const encoded = encodeURIComponent(safe).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
