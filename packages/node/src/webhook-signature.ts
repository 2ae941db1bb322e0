/**
 * Who sent a webhook delivery and whether it holds the team's secret, checked over the raw body
 * bytes before anything parses them:
 *
 * - GitHub: `X-GitHub-Event`, `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
 * - Gitea / Forgejo: `X-Gitea-Event` (or `X-Forgejo-Event`), `X-Gitea-Signature` (or
 *   `X-Forgejo-Signature`): the hex HMAC-SHA256 of the body. Gitea also sends `X-GitHub-Event`,
 *   so its own header is looked at first.
 * - GitLab: `X-Gitlab-Event`, `X-Gitlab-Token`: the secret itself (GitLab sends the token, not a
 *   signature of the body).
 *
 * Every comparison takes the same time whatever the bytes, and a signature is accepted only in the
 * exact spelling the forge sends (lower-case hex), so one spelling of a valid delivery exists.
 * Pure: no I/O.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** The forges whose push deliveries the webhook understands. */
export type Forge = 'github' | 'gitea' | 'gitlab'

/** Request headers as node's http parser gives them (names in lower case). */
export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>

/** The sender of a delivery, as its event header names it. */
export interface Sender {
  forge: Forge
  /** The event header's value, such as `push`, `ping` or `Push Hook`. */
  event: string
}

/** Longest event header value looked at; longer ones name no event we know. */
const MAX_EVENT_CHARS = 64

const HEX_SHA256 = /^[0-9a-f]{64}$/

/** A single header value, or undefined when it is absent or given more than once. */
export function headerOf (headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name]
  return typeof value === 'string' ? value : undefined
}

/** The forge that sent the delivery, by its event header; undefined when no header names one. */
export function senderOf (headers: WebhookHeaders): Sender | undefined {
  const candidates: [Forge, string | undefined][] = [
    ['gitlab', headerOf(headers, 'x-gitlab-event')],
    ['gitea', headerOf(headers, 'x-gitea-event') ?? headerOf(headers, 'x-forgejo-event')],
    ['github', headerOf(headers, 'x-github-event')]
  ]
  for (const [forge, event] of candidates) {
    if (event !== undefined && event.length > 0 && event.length <= MAX_EVENT_CHARS) return { forge, event }
  }
  return undefined
}

/** Whether `given` (hex from a header) is the HMAC of `body`, compared in constant time. */
function hmacMatches (given: string, body: Uint8Array, secret: Uint8Array): boolean {
  if (!HEX_SHA256.test(given)) return false
  const expected = createHmac('sha256', secret).update(body).digest()
  return timingSafeEqual(Buffer.from(given, 'hex'), expected)
}

/** Whether `given` equals `secret`; both hashed first, so neither their bytes nor their lengths leak. */
function tokenMatches (given: string, secret: Uint8Array): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(secret).digest()
  return timingSafeEqual(a, b)
}

/**
 * `true` when the delivery carries proof of `secret` in the way `forge` sends it, else why not
 * (for the 401 answer and the deliveries list; never the expected value).
 */
export function verifyDelivery (forge: Forge, headers: WebhookHeaders, body: Uint8Array, secret: Uint8Array): true | string {
  if (forge === 'gitlab') {
    const token = headerOf(headers, 'x-gitlab-token')
    if (token === undefined) return 'no X-Gitlab-Token header: set the secret token of the GitLab webhook to the node\'s webhook secret'
    return tokenMatches(token, secret) ? true : 'X-Gitlab-Token is not the node\'s webhook secret'
  }
  if (forge === 'gitea') {
    const name = headers['x-gitea-signature'] !== undefined ? 'X-Gitea-Signature' : 'X-Forgejo-Signature'
    const signature = headerOf(headers, name.toLowerCase())
    if (signature === undefined) return `no ${name} header: set the secret of the webhook to the node's webhook secret`
    return hmacMatches(signature, body, secret) ? true : `${name} does not match the body signed with the node's webhook secret`
  }
  const signature = headerOf(headers, 'x-hub-signature-256')
  if (signature === undefined) return 'no X-Hub-Signature-256 header: set the secret of the GitHub webhook to the node\'s webhook secret'
  const ok = signature.startsWith('sha256=') && hmacMatches(signature.slice('sha256='.length), body, secret)
  return ok ? true : 'X-Hub-Signature-256 does not match the body signed with the node\'s webhook secret'
}
