/** The pure parts: rate limits, presence checks, sync frame parsing, options, lifecycle errors. */
import { rm } from 'node:fs/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { canonicalBytes, createInlineVerifier, generateSigner, silentLogger, systemClock } from '@devq/core'
import { createMesh, generateTeamKey, limits, loadOrCreatePeerKey, teamNames, type MeshLedger, type PeerKey } from '../src/index.ts'
import { createPresenceCheck, encodePresence } from '../src/presence.ts'
import { createRateLimiter } from '../src/rate-limit.ts'
import { parseHeader, parseRequest } from '../src/sync.ts'
import { parsePeers } from '../src/peer-exchange.ts'
import { presenceOf, tempDir } from './helpers.ts'

describe('rate limiter', () => {
  it('lets a burst through, then refills at the rate', () => {
    const rl = createRateLimiter({ burst: 3, perSecond: 2 })
    expect([1, 2, 3, 4].map(() => rl.take('p', 0))).toEqual([true, true, true, false])
    expect(rl.take('q', 0)).toBe(true)
    expect(rl.take('p', 400)).toBe(false)
    expect(rl.take('p', 500)).toBe(true)
    expect(rl.take('p', 10_000)).toBe(true)
  })

  it('takes several tokens at once only when the bucket holds them all', () => {
    const rl = createRateLimiter({ burst: 10, perSecond: 0 })
    expect(rl.take('p', 0, 8)).toBe(true)
    expect(rl.take('p', 0, 3)).toBe(false)
    expect(rl.take('p', 0, 2)).toBe(true)
    expect(rl.take('p', 0)).toBe(false)
  })

  it('forgets the idlest peer when full, which then starts with a full bucket', () => {
    const rl = createRateLimiter({ burst: 1, perSecond: 0 }, 2)
    expect(rl.take('a', 0)).toBe(true)
    expect(rl.take('b', 0)).toBe(true)
    expect(rl.take('c', 0)).toBe(true)
    expect(rl.take('b', 1)).toBe(false)
    expect(rl.take('a', 1)).toBe(true)
  })
})

describe('presence check', () => {
  const signer = generateSigner()
  const check = (): ReturnType<typeof createPresenceCheck> => createPresenceCheck({ verifier: createInlineVerifier() })

  const boot = (c: string): string => c.repeat(22)
  const stamped = async (time: number, b: string, seq: number): Promise<Uint8Array> => await encodePresence(signer, presenceOf(signer.peerId, time), { boot: boot(b), seq })

  it('accepts a heartbeat once, then only later ones of the same boot, whatever their wall time', async () => {
    const c = check()
    const first = await stamped(1_700_000_000_000, 'a', 1)
    expect(await c.check(first)).toMatchObject({ ok: true, info: { peer: signer.peerId, time: 1_700_000_000_000 } })
    expect(await c.check(first)).toMatchObject({ ok: false, reason: 'stale' })
    // The sender's clock stepped back ten minutes: its next heartbeat is still news.
    expect(await c.check(await stamped(1_700_000_000_000 - 600_000, 'a', 2))).toMatchObject({ ok: true })
    expect(await c.check(await stamped(5000, 'a', 2))).toMatchObject({ ok: false, reason: 'stale' })
    expect(await c.check(await stamped(5000, 'a', 1))).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('takes a new boot at once and refuses the boots a peer left behind, as far back as it keeps them', async () => {
    const c = check()
    expect(await c.check(await stamped(1, 'a', 50))).toMatchObject({ ok: true })
    expect(await c.check(await stamped(1, 'b', 1))).toMatchObject({ ok: true })
    expect(await c.check(await stamped(1, 'a', 51))).toMatchObject({ ok: false, reason: 'stale' })
    const later = 'cdefghijklmnopq'.slice(0, limits.PRESENCE_RETIRED_BOOTS)
    for (const b of later) expect(await c.check(await stamped(1, b, 1))).toMatchObject({ ok: true })
    expect(await c.check(await stamped(1, 'b', 2))).toMatchObject({ ok: false, reason: 'stale' })
    // Memory per peer is bounded: the oldest boot is forgotten.
    expect(await c.check(await stamped(1, 'a', 52))).toMatchObject({ ok: true })
  })

  it('still refuses, after a restart, a heartbeat it took before: the stamps it kept come back', async () => {
    const before = check()
    expect(await before.check(await stamped(1, 'a', 40))).toMatchObject({ ok: true })
    expect(await before.check(await stamped(1, 'b', 3))).toMatchObject({ ok: true })
    const kept = JSON.parse(JSON.stringify(before.stamps())) as ReturnType<typeof before.stamps>
    const after = createPresenceCheck({ verifier: createInlineVerifier(), remembered: kept })
    expect(await after.check(await stamped(1, 'b', 3))).toMatchObject({ ok: false, reason: 'stale' })
    expect(await after.check(await stamped(1, 'a', 41))).toMatchObject({ ok: false, reason: 'stale' })
    expect(await after.check(await stamped(1, 'b', 4))).toMatchObject({ ok: true })
    // Without the kept stamps, the replay of an old boot would be taken.
    expect(await check().check(await stamped(1, 'b', 3))).toMatchObject({ ok: true })
  })

  it('treats a replay of our own heartbeat as stale', async () => {
    const c = check()
    c.noteOwn(signer.peerId, { boot: boot('z'), seq: 7 })
    expect(await c.check(await stamped(5000, 'z', 7))).toMatchObject({ ok: false, reason: 'stale' })
    expect(await c.check(await stamped(5000, 'z', 8))).toMatchObject({ ok: true })
  })

  it.each([
    ['too_large', new Uint8Array(limits.MAX_PRESENCE_MESSAGE_BYTES + 1)],
    ['malformed', new TextEncoder().encode('{"info":')],
    ['bad_schema', canonicalBytes([1, 2])],
    ['bad_schema', canonicalBytes({ info: presenceOf(signer.peerId, 1), boot: 'b'.repeat(22), seq: 1, sig: 'short' })],
    ['bad_schema', canonicalBytes({ info: { ...presenceOf(signer.peerId, 1), extra: 1 }, boot: 'b'.repeat(22), seq: 1, sig: 'A'.repeat(86) })],
    ['bad_schema', canonicalBytes({ info: presenceOf(signer.peerId, 1), sig: 'A'.repeat(86) })],
    ['bad_schema', canonicalBytes({ info: presenceOf(signer.peerId, 1), boot: 'b'.repeat(22), seq: 0, sig: 'A'.repeat(86) })],
    ['bad_signature', canonicalBytes({ info: presenceOf(signer.peerId, 1), boot: 'b'.repeat(22), seq: 1, sig: 'A'.repeat(86) })]
  ])('rejects %s input', async (reason, bytes) => {
    expect(await check().check(bytes)).toMatchObject({ ok: false, reason })
  })

  it('rejects a signature over different content', async () => {
    const env = JSON.parse(Buffer.from(await stamped(7, 'a', 1)).toString()) as { info: { load: number }, seq: number }
    env.info.load = 0.9
    expect(await check().check(canonicalBytes(env))).toMatchObject({ ok: false, reason: 'bad_signature' })
    env.info.load = 0.1
    env.seq = 2
    expect(await check().check(canonicalBytes(env))).toMatchObject({ ok: false, reason: 'bad_signature' })
  })

  it('takes a heartbeat straight from the peer it names on the connection\'s authentication, and checks the signature of any other', async () => {
    const unsigned = canonicalBytes({ info: presenceOf(signer.peerId, 1), boot: 'b'.repeat(22), seq: 1, sig: 'A'.repeat(86) })
    expect(await check().check(unsigned, signer.peerId)).toMatchObject({ ok: true })
    expect(await check().check(unsigned, generateSigner().peerId)).toMatchObject({ ok: false, reason: 'bad_signature' })
    const c = check()
    expect(await c.check(await stamped(1, 'a', 2), signer.peerId)).toMatchObject({ ok: true })
    // Freshness holds all the same.
    expect(await c.check(await stamped(1, 'a', 1), signer.peerId)).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('rejects a non-member even with a valid signature', async () => {
    const c = createPresenceCheck({ verifier: createInlineVerifier(), isMember: () => false })
    expect(await c.check(await stamped(1, 'a', 1))).toMatchObject({ ok: false, reason: 'not_member' })
  })
})

describe('sync frames', () => {
  it('parses a version vector request and refuses anything else', () => {
    expect(parseRequest(canonicalBytes({ vv: { a: 3 } }))).toEqual({ vv: { a: 3 }, faulty: {}, tips: {} })
    expect(parseRequest(canonicalBytes({ vv: {}, faulty: { b: 2 } }))).toEqual({ vv: {}, faulty: { b: 2 }, tips: {} })
    expect(parseRequest(canonicalBytes({ vv: {}, faulty: [] }))).toBeUndefined()
    expect(parseRequest(new TextEncoder().encode('nope'))).toBeUndefined()
    expect(parseRequest(canonicalBytes({ vv: [] }))).toBeUndefined()
    expect(parseRequest(canonicalBytes({ vv: {}, more: 1 }))).toBeUndefined()
    const huge = Object.fromEntries(Array.from({ length: limits.SYNC_MAX_VECTOR_ENTRIES + 1 }, (_, i) => [`p${i}`, 1]))
    expect(parseRequest(canonicalBytes({ vv: huge }))).toBeUndefined()
    expect(parseRequest(canonicalBytes({ vv: {}, faulty: huge }))).toBeUndefined()
  })

  it('parses an answer header within the event cap', () => {
    expect(parseHeader(canonicalBytes({ n: 0 }))).toBe(0)
    expect(parseHeader(canonicalBytes({ n: limits.SYNC_MAX_EVENTS }))).toBe(limits.SYNC_MAX_EVENTS)
    expect(parseHeader(canonicalBytes({ n: limits.SYNC_MAX_EVENTS + 1 }))).toBeUndefined()
    expect(parseHeader(canonicalBytes({ n: 1.5 }))).toBeUndefined()
    expect(parseHeader(canonicalBytes({ n: 1, x: 2 }))).toBeUndefined()
    expect(parseHeader(canonicalBytes(null))).toBeUndefined()
  })
})

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map(async (d) => { await rm(d, { recursive: true, force: true }) }))
})

async function freshKey (): Promise<PeerKey> {
  const dir = await tempDir()
  dirs.push(dir)
  return await loadOrCreatePeerKey(dir)
}

describe('peer exchange answers', () => {
  it('keeps valid entries and skips self, junk and extras', () => {
    const self = generateSigner().peerId
    const other = generateSigner().peerId
    const answer = canonicalBytes({
      peers: [
        { id: other, addrs: ['/ip4/127.0.0.1/tcp/4100', 'not a multiaddr', 'x'.repeat(limits.PEX_MAX_ADDR_CHARS + 1)] },
        { id: self, addrs: ['/ip4/127.0.0.1/tcp/4101'] },
        { id: 'not-a-peer-id', addrs: ['/ip4/127.0.0.1/tcp/4102'] },
        { id: generateSigner().peerId, addrs: [] },
        null,
        { id: generateSigner().peerId, addrs: Array.from({ length: 20 }, (_, i) => `/ip4/127.0.0.1/tcp/${5000 + i}`) }
      ]
    })
    const learned = parsePeers(answer, self)
    expect(learned.map((l) => l.id.toString())).toEqual([other, expect.any(String)])
    expect(learned[0]?.addrs.map(String)).toEqual(['/ip4/127.0.0.1/tcp/4100'])
    expect(learned[1]?.addrs).toHaveLength(limits.PEX_MAX_ADDRS_PER_PEER)
    expect(parsePeers(new TextEncoder().encode('junk'), self)).toEqual([])
    expect(parsePeers(canonicalBytes({ peers: 'x' }), self)).toEqual([])
  })
})

describe('mesh options and lifecycle', () => {
  const ledger: MeshLedger = {
    ingest: async () => ({ accepted: [], duplicates: 0, rejected: [], equivocations: [] }),
    versionVector: () => ({}),
    faulty: () => ({}),
    tips: async () => ({}),
    missingFor: async () => [],
    onAccepted: () => () => {}
  }
  const components = { ledger, logger: silentLogger, clock: systemClock }

  it('derives topic and protocol names from the team and refuses bad team names', () => {
    expect(teamNames('acme')).toEqual({ ledger: 'devq/acme/ledger/1', presence: 'devq/acme/presence/1', sync: '/devq/acme/sync/1.0.0', peers: '/devq/acme/peers/1.0.0' })
    for (const bad of ['', 'a/b', '../x', 'x'.repeat(65), 'spa ce']) expect(() => teamNames(bad)).toThrow(expect.objectContaining({ name: 'MeshConfigError' }))
  })

  it.each([
    ['syncIntervalMs', { syncIntervalMs: 5 }],
    ['faults.drop', { faults: { drop: 1.5 } }],
    ['faults.delayMs', { faults: { delayMs: -1 } }],
    ['bootstrap', { bootstrap: ['/ip4/127.0.0.1/tcp/1'] }],
    ['listen', { listen: [] }],
    ['team', { team: 'no/slash' }]
  ])('refuses a bad %s with MeshConfigError', async (field, extra) => {
    const key = await freshKey()
    const init = { privateKey: key.privateKey, teamKey: generateTeamKey(), team: 'acme', ...extra }
    expect(() => createMesh(components, init)).toThrow(expect.objectContaining({ name: 'MeshConfigError', data: expect.objectContaining({ field }) }))
  })

  it('needs a started mesh to publish or sync, and cannot start after stop', async () => {
    const key = await freshKey()
    const mesh = createMesh(components, { privateKey: key.privateKey, teamKey: generateTeamKey(), team: 'acme' })
    expect(mesh.peerId).toBe(key.peerId)
    expect(mesh.addresses()).toEqual([])
    await expect(mesh.publishPresence(presenceOf(key.peerId, 1))).rejects.toMatchObject({ name: 'MeshStateError' })
    await expect(mesh.syncWith()).rejects.toMatchObject({ name: 'MeshStateError' })
    await mesh.start()
    await mesh.start()
    expect(mesh.addresses()[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${key.peerId}$`))
    await expect(mesh.syncWith()).rejects.toMatchObject({ name: 'SyncError', data: { detail: 'no peers' } })
    await mesh.stop()
    await mesh.stop()
    await expect(mesh.start()).rejects.toMatchObject({ name: 'MeshStateError' })
  })
})
