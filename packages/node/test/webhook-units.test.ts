import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { verifyDelivery, senderOf, type Forge, type WebhookHeaders } from '../src/webhook-signature.ts'
import { readPush } from '../src/webhook-payload.ts'
import { CloneUrl, isBranchRef, redactIn, redactUrl } from '../src/forge-url.ts'
import { createCoalescingQueue } from '../src/webhook-queue.ts'

const hmac = (body: Uint8Array, secret: string): string => createHmac('sha256', secret).update(body).digest('hex')

/** The headers a forge sends for `body` signed with `secret`. */
function signed (forge: Forge, body: Uint8Array, secret: string): WebhookHeaders {
  if (forge === 'github') return { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body, secret)}` }
  if (forge === 'gitea') return { 'x-gitea-event': 'push', 'x-github-event': 'push', 'x-gitea-signature': hmac(body, secret) }
  return { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret }
}
const proofHeader: Record<Forge, string> = { github: 'x-hub-signature-256', gitea: 'x-gitea-signature', gitlab: 'x-gitlab-token' }

const arbForge = fc.constantFrom<Forge>('github', 'gitea', 'gitlab')
const arbSecret = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 16, maxLength: 64 })
const arbBody = fc.uint8Array({ minLength: 1, maxLength: 2048 })
/** A printable ASCII character, as header values hold. */
const arbChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))

describe('webhook signatures', () => {
  it('accept the body signed with the secret, as each forge sends it', () => {
    fc.assert(fc.property(arbForge, arbBody, arbSecret, (forge, body, secret) => {
      const headers = signed(forge, body, secret)
      expect(senderOf(headers)?.forge).toBe(forge)
      expect(verifyDelivery(forge, headers, body, Buffer.from(secret))).toBe(true)
    }))
  })

  it('refuse a body with any one byte changed (HMAC forges; GitLab sends no signature of the body)', () => {
    fc.assert(fc.property(fc.constantFrom<Forge>('github', 'gitea'), arbBody, arbSecret, fc.nat(), fc.integer({ min: 1, max: 255 }), (forge, body, secret, at, flip) => {
      const headers = signed(forge, body, secret)
      const changed = Uint8Array.from(body)
      const i = at % body.length
      changed[i] = changed[i]! ^ flip
      expect(verifyDelivery(forge, headers, changed, Buffer.from(secret))).toEqual(expect.any(String))
    }))
  })

  it('refuse a signature or token with any one character changed, and one that is missing', () => {
    fc.assert(fc.property(arbForge, arbBody, arbSecret, fc.nat(), arbChar, (forge, body, secret, at, char) => {
      const headers = signed(forge, body, secret)
      const name = proofHeader[forge]
      const proof = headers[name] as string
      const i = at % proof.length
      fc.pre(proof[i] !== char)
      const changed = { ...headers, [name]: proof.slice(0, i) + char + proof.slice(i + 1) }
      expect(verifyDelivery(forge, changed, body, Buffer.from(secret))).toEqual(expect.any(String))
      const { [name]: _dropped, ...missing } = headers
      expect(verifyDelivery(forge, missing, body, Buffer.from(secret))).toEqual(expect.any(String))
    }))
  })

  it('refuse a signature made with another secret, and an upper-case spelling of the right one', () => {
    fc.assert(fc.property(arbForge, arbBody, arbSecret, arbSecret, (forge, body, secret, other) => {
      fc.pre(secret !== other)
      expect(verifyDelivery(forge, signed(forge, body, other), body, Buffer.from(secret))).toEqual(expect.any(String))
    }))
    const body = Buffer.from('{}')
    const upper = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body, 's'.repeat(16)).toUpperCase()}` }
    expect(verifyDelivery('github', upper, body, Buffer.from('s'.repeat(16)))).toEqual(expect.any(String))
  })

  it('take Gitea\'s own headers over the GitHub ones it also sends, and Forgejo\'s when Gitea\'s are absent', () => {
    const body = Buffer.from('{}')
    const secret = 'f'.repeat(20)
    expect(senderOf({ 'x-github-event': 'push', 'x-gitea-event': 'push' })?.forge).toBe('gitea')
    expect(senderOf({ 'x-forgejo-event': 'push' })?.forge).toBe('gitea')
    expect(verifyDelivery('gitea', { 'x-forgejo-signature': hmac(body, secret) }, body, Buffer.from(secret))).toBe(true)
    expect(senderOf({ 'content-type': 'application/json' })).toBeUndefined()
  })
})

const SHA = 'a'.repeat(40)
const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value))
const github = { forge: 'github' as const, event: 'push' }

describe('push payloads', () => {
  it('read the branch, new head and clone URL of GitHub, Gitea and GitLab pushes, whatever other fields come along', () => {
    const repo = { clone_url: 'https://forge.lan/team/app.git', full_name: 'team/app', owner: { login: 'team' } }
    expect(readPush(github, 'application/json', json({ ref: 'refs/heads/main', before: SHA, after: 'b'.repeat(40), deleted: false, repository: repo, commits: [] })))
      .toEqual({ kind: 'push', push: { forge: 'github', url: repo.clone_url, ref: 'refs/heads/main', commit: 'b'.repeat(40) } })
    expect(readPush({ forge: 'gitea', event: 'push' }, 'application/json', json({ ref: 'refs/heads/dev', after: SHA, repository: repo })))
      .toMatchObject({ kind: 'push', push: { forge: 'gitea', ref: 'refs/heads/dev' } })
    expect(readPush({ forge: 'gitlab', event: 'Push Hook' }, 'application/json', json({ object_kind: 'push', ref: 'refs/heads/main', after: SHA, checkout_sha: SHA, project: { git_http_url: 'http://gitlab.lan/g/app.git' } })))
      .toEqual({ kind: 'push', push: { forge: 'gitlab', url: 'http://gitlab.lan/g/app.git', ref: 'refs/heads/main', commit: SHA } })
    const form = `payload=${encodeURIComponent(JSON.stringify({ ref: 'refs/heads/main', after: SHA, repository: repo }))}`
    expect(readPush(github, 'application/x-www-form-urlencoded', Buffer.from(form))).toMatchObject({ kind: 'push' })
  })

  it('ignore pings, tag pushes, deletions and other events', () => {
    const repository = { clone_url: 'https://forge.lan/a.git' }
    expect(readPush({ forge: 'github', event: 'ping' }, 'application/json', json({ zen: 'hi' }))).toMatchObject({ kind: 'ignored' })
    expect(readPush(github, 'application/json', json({ ref: 'refs/tags/v1', after: SHA, repository }))).toMatchObject({ kind: 'ignored', reason: 'refs/tags/v1 is a tag push' })
    expect(readPush(github, 'application/json', json({ ref: 'refs/heads/x', after: '0'.repeat(40), deleted: true, repository }))).toMatchObject({ kind: 'ignored', reason: 'refs/heads/x was deleted' })
    expect(readPush({ forge: 'gitlab', event: 'Tag Push Hook' }, 'application/json', json({}))).toMatchObject({ kind: 'ignored' })
    expect(readPush({ forge: 'gitlab', event: 'Push Hook' }, 'application/json', json({ ref: 'refs/heads/x', after: '0'.repeat(40) }))).toMatchObject({ kind: 'ignored' })
  })

  it('name the field at fault in a push that lacks what a build needs', () => {
    const repository = { clone_url: 'https://forge.lan/a.git' }
    expect(readPush(github, 'application/json', Buffer.from('not json'))).toMatchObject({ kind: 'bad' })
    expect(readPush(github, 'application/json', json({ ref: 'refs/heads/main', repository }))).toMatchObject({ kind: 'bad', field: 'after' })
    expect(readPush(github, 'application/json', json({ ref: 'refs/heads/main', after: 'xyz', repository }))).toMatchObject({ kind: 'bad', field: 'after' })
    expect(readPush(github, 'application/json', json({ ref: 'refs/heads/main', after: SHA }))).toMatchObject({ kind: 'bad', field: 'repository' })
    expect(readPush(github, 'application/json', json({ ref: 'refs/heads/main', after: SHA, repository: { clone_url: 'file:///etc' } }))).toMatchObject({ kind: 'bad', field: 'repository.clone_url' })
    expect(readPush(github, 'application/json', json({ ref: 'refs/heads/a..b', after: SHA, repository }))).toMatchObject({ kind: 'bad', field: 'ref' })
    expect(readPush({ forge: 'gitlab', event: 'Push Hook' }, 'application/json', json({ ref: 'refs/heads/main', after: SHA, project: {} }))).toMatchObject({ kind: 'bad', field: 'project.git_http_url' })
  })
})

describe('forge URLs and refs', () => {
  it('fetch only over http, https, git and ssh, and never show credentials', () => {
    for (const ok of ['https://forge.lan/a.git', 'http://10.0.0.5:3000/a/b.git', 'git://127.0.0.1:9418/a', 'ssh://git@forge.lan/a.git']) expect(CloneUrl.safeParse(ok).success, ok).toBe(true)
    for (const no of ['file:///srv/a.git', '/srv/a.git', 'ext::sh -c evil', 'git@forge.lan:a.git', 'https://forge.lan/a b', 'ssh://-oProxyCommand=x/a', 'fd::17']) expect(CloneUrl.safeParse(no).success, no).toBe(false)
    expect(redactUrl('https://bot:t0ken@forge.lan/a.git')).toBe('https://***@forge.lan/a.git')
    expect(redactIn('fatal: unable to access https://bot:t0ken@forge.lan/a.git: t0ken rejected', 'https://bot:t0ken@forge.lan/a.git')).not.toContain('t0ken')
  })

  it('take branch names as git does, and refuse what git would', () => {
    for (const ok of ['refs/heads/main', 'refs/heads/feature/x-1', 'refs/heads/v1.2']) expect(isBranchRef(ok), ok).toBe(true)
    for (const no of ['refs/heads/', 'refs/heads/a..b', 'refs/heads/a.lock', 'refs/heads/.x', 'refs/heads/a b', 'refs/heads/a:b', 'refs/heads/x/', 'refs/tags/v1', 'main']) expect(isBranchRef(no), no).toBe(false)
  })
})

describe('the fetch queue', () => {
  it('coalesces pushes to one branch while it waits, runs one item per lane at a time and no more than its concurrency', async () => {
    const started: string[] = []
    let running = 0
    let most = 0
    const gates = new Map<string, () => void>()
    const queue = createCoalescingQueue<{ key: string, lane: string, id: string }>({
      work: async (item) => {
        started.push(item.id)
        running++
        most = Math.max(most, running)
        await new Promise<void>((resolve) => gates.set(item.id, resolve))
        running--
      },
      failed: () => {}
    }, { concurrency: 2, maxPending: 3 })
    expect(queue.push({ key: 'a/main', lane: 'a', id: 'a1' })).toEqual({ queued: true })
    // a1 runs; a2..a4 wait for lane a and replace each other; b1 runs beside a1.
    expect(queue.push({ key: 'a/main', lane: 'a', id: 'a2' })).toEqual({ queued: true })
    expect(queue.push({ key: 'a/main', lane: 'a', id: 'a3' })).toMatchObject({ queued: true, replaced: { id: 'a2' } })
    expect(queue.push({ key: 'b/main', lane: 'b', id: 'b1' })).toEqual({ queued: true })
    expect(queue.push({ key: 'a/dev', lane: 'a', id: 'd1' })).toEqual({ queued: true })
    expect(queue.push({ key: 'c/main', lane: 'c', id: 'c1' })).toEqual({ queued: true })
    // Three keys wait (a/main, a/dev, c/main): a fourth is refused, a newer push of a waiting one is not.
    expect(queue.push({ key: 'e/main', lane: 'e', id: 'e1' })).toEqual({ queued: false })
    expect(queue.push({ key: 'c/main', lane: 'c', id: 'c2' })).toMatchObject({ queued: true, replaced: { id: 'c1' } })
    expect(started).toEqual(['a1', 'b1'])
    const release = async (id: string): Promise<void> => {
      while (!gates.has(id)) await new Promise((resolve) => setImmediate(resolve))
      gates.get(id)!()
    }
    await release('a1')
    await release('b1')
    await release('a3')
    await release('c2')
    await release('d1')
    await queue.idle()
    expect(started.slice(0, 2)).toEqual(['a1', 'b1'])
    expect(new Set(started)).toEqual(new Set(['a1', 'b1', 'a3', 'c2', 'd1']))
    expect(most).toBe(2)
    expect(await queue.close()).toEqual([])
    expect(queue.push({ key: 'a/main', lane: 'a', id: 'late' })).toEqual({ queued: false })
  })
})
