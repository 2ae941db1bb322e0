/**
 * Clone URLs that come in webhook payloads: which ones the node will fetch from, how they are
 * written in logs and in the deliveries list (never with credentials), and the push refs it builds.
 * Pure.
 */
import { z } from 'zod'

/** Transports a forge's clone URL may use; git enforces the same list on the fetch (GIT_ALLOW_PROTOCOL). */
export const FORGE_PROTOCOLS = ['http', 'https', 'git', 'ssh'] as const

const SCHEMES = new Set(FORGE_PROTOCOLS.map((p) => `${p}:`))

/** Most characters of a clone URL. */
const MAX_URL_CHARS = 2048

function fetchable (value: string): boolean {
  // Whitespace or control characters never belong in a URL git is handed.
  if (/[\s\p{Cc}]/u.test(value)) return false
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  return SCHEMES.has(url.protocol) && url.hostname !== '' && !url.hostname.startsWith('-')
}

/** A clone URL the node may fetch from: http, https, git or ssh, with a host. */
export const CloneUrl = z.string().min(1).max(MAX_URL_CHARS).refine(fetchable, `an ${FORGE_PROTOCOLS.join(', ')} URL with a host`)

/** `url` without user name or password, for logs, the deliveries list and naming the mirror. */
export function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    const hidden = u.username !== '' || u.password !== ''
    return `${u.protocol}//${hidden ? '***@' : ''}${u.host}${u.pathname}${u.search}`
  } catch {
    return '(not a URL)'
  }
}

/** `text` with every occurrence of `url` (and of its credentials) replaced by its redacted form. */
export function redactIn (text: string, url: string): string {
  let out = text.split(url).join(redactUrl(url))
  try {
    const u = new URL(url)
    for (const secret of [u.password, decodeURIComponent(u.password)]) if (secret.length > 0) out = out.split(secret).join('***')
  } catch { /* not a URL: nothing more to hide */ }
  return out
}

/**
 * A branch name as git allows it in `refs/heads/` (git check-ref-format, kept conservative): no
 * `..`, `@{`, `//`, control characters, spaces or `~^:?*[\`, no part starting with `.` or ending
 * with `.lock`, not ending with `/` or `.`.
 */
export function isBranchRef (ref: string): boolean {
  if (!ref.startsWith('refs/heads/') || ref.length > 256) return false
  const name = ref.slice('refs/heads/'.length)
  if (name === '' || name.endsWith('/') || name.endsWith('.') || name.includes('..') || name.includes('@{') || name.includes('//')) return false
  if (/[\s\p{Cc}~^:?*[\\]/u.test(name) || name === '@') return false
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'))
}
