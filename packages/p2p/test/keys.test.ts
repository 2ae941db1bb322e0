/** The peer key on disk and the team key format. */
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { generateKey } from '@libp2p/pnet'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { canonicalBytes, createInlineVerifier } from '@devq/core'
import { formatTeamKey, generateTeamKey, loadOrCreatePeerKey, parseTeamKey, PEER_KEY_FILE } from '../src/index.ts'
import { tempDir } from './helpers.ts'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(async (d) => { await rm(d, { recursive: true, force: true }) }))
})

async function freshDir (): Promise<string> {
  const dir = await tempDir('devq-p2p-key-')
  dirs.push(dir)
  return dir
}

describe('peer key', () => {
  it('is created 0600 in a 0700 dir and gives the same peer id after a reload', async () => {
    const dataDir = join(await freshDir(), 'data', 'nested')
    const first = await loadOrCreatePeerKey(dataDir)
    expect(first.created).toBe(true)
    expect((await stat(first.path)).mode & 0o777).toBe(0o600)
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
    const again = await loadOrCreatePeerKey(dataDir)
    expect(again.created).toBe(false)
    expect(again.peerId).toBe(first.peerId)
    expect(peerIdFromPrivateKey(again.privateKey).toString()).toBe(first.peerId)
  })

  it("gives a core Signer whose peerId is the libp2p peer id and whose signatures core verifies", async () => {
    const key = await loadOrCreatePeerKey(await freshDir())
    expect(key.signer.peerId).toBe(peerIdFromPrivateKey(key.privateKey).toString())
    expect(key.peerId).toMatch(/^12D3KooW/)
    const message = canonicalBytes({ hello: 'mesh' })
    const signature = await key.signer.sign(message)
    const [ok] = await createInlineVerifier().verifyBatch([{ author: key.peerId, message, signature }])
    expect(ok).toBe(true)
  })

  it('is the same for concurrent first calls', async () => {
    const dataDir = await freshDir()
    const keys = await Promise.all([1, 2, 3, 4].map(async () => await loadOrCreatePeerKey(dataDir)))
    expect(new Set(keys.map((k) => k.peerId)).size).toBe(1)
    expect(keys.filter((k) => k.created)).toHaveLength(1)
  })

  it('refuses a key file that group or others may access, saying how to fix it, and leaves it as it is', async () => {
    const dataDir = await freshDir()
    const { path, peerId } = await loadOrCreatePeerKey(dataDir)
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o610]) {
      await chmod(path, mode)
      const err = await loadOrCreatePeerKey(dataDir).then(() => undefined, (e: unknown) => e as Error)
      expect(err, mode.toString(8)).toMatchObject({ name: 'PeerKeyError', code: 'PeerKeyError', data: { path, detail: 'permissions' } })
      expect(err!.message).toContain(`permissions 0${mode.toString(8)} of ${path} are too open`)
      expect(err!.message).toContain(`chmod 600 ${path}`)
      expect((await stat(path)).mode & 0o777).toBe(mode)
    }
    await chmod(path, 0o600)
    expect((await loadOrCreatePeerKey(dataDir)).peerId).toBe(peerId)
  })

  it('refuses a corrupt key file with PeerKeyError and leaves it alone', async () => {
    const dataDir = await freshDir()
    await mkdir(dataDir, { recursive: true })
    await writeFile(join(dataDir, PEER_KEY_FILE), 'not a key', { mode: 0o600 })
    await expect(loadOrCreatePeerKey(dataDir)).rejects.toMatchObject({ name: 'PeerKeyError', code: 'PeerKeyError' })
    expect(await readFile(join(dataDir, PEER_KEY_FILE), 'utf8')).toBe('not a key')
  })
})

describe('team key', () => {
  it('round-trips through the pnet text format', () => {
    const key = generateTeamKey()
    const text = formatTeamKey(key)
    expect(text).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    expect(parseTeamKey(text).equals(key)).toBe(true)
    expect(parseTeamKey(text + '\r\n').equals(key)).toBe(true)
    expect(parseTeamKey(text.replaceAll('\n', '\r\n')).equals(key)).toBe(true)
  })

  it('reads what @libp2p/pnet generateKey writes', () => {
    const bytes = new Uint8Array(95)
    generateKey(bytes)
    const key = parseTeamKey(bytes)
    expect(new TextEncoder().encode(formatTeamKey(key))).toEqual(bytes)
  })

  it('never shows its secret in strings or JSON', () => {
    const key = generateTeamKey()
    const hex = formatTeamKey(key).split('\n')[2] ?? ''
    expect(String(key)).not.toContain(hex)
    expect(JSON.stringify({ key })).not.toContain(hex)
    expect(String(key)).toContain(key.fingerprint)
  })

  it.each([
    ['empty', ''],
    ['wrong header', '/key/swarm/psk/2.0.0/\n/base16/\n' + 'ab'.repeat(32)],
    ['wrong codec', '/key/swarm/psk/1.0.0/\n/base64/\n' + 'ab'.repeat(32)],
    ['short key', '/key/swarm/psk/1.0.0/\n/base16/\n' + 'ab'.repeat(31)],
    ['not hex', '/key/swarm/psk/1.0.0/\n/base16/\n' + 'zz'.repeat(32)],
    ['extra line', '/key/swarm/psk/1.0.0/\n/base16/\n' + 'ab'.repeat(32) + '\nmore'],
    ['too long', 'x'.repeat(10_000)]
  ])('rejects %s with TeamKeyError', (_name, text) => {
    expect(() => parseTeamKey(text)).toThrow(expect.objectContaining({ name: 'TeamKeyError' }))
  })
})
