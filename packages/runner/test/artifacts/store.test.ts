import { randomBytes } from 'node:crypto'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import { createArtifactStore } from '../../src/artifacts/store.ts'
import { planEviction, type BlobUse } from '../../src/artifacts/retention.ts'
import { readAll, rejection, sha256, storeFiles, tempStore } from './support.ts'

async function * chunked (bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

async function * endless (): AsyncGenerator<Uint8Array> {
  while (true) yield Buffer.alloc(1024, 1)
}

describe('the artifact store', () => {
  it('keeps bytes exact, addressed by their digest, read-only', async () => {
    const { store } = await tempStore()
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    const info = await store.putStream(chunked(bytes, 70_000))
    expect(info).toEqual({ digest: sha256(bytes), size: bytes.length })
    expect(await store.has(info.digest)).toBe(true)
    expect(await store.size(info.digest)).toBe(bytes.length)
    expect((await readAll(store.open(info.digest))).equals(bytes)).toBe(true)
    expect((await stat(store.path(info.digest))).mode & 0o777).toBe(0o444)
    expect(await store.usage()).toEqual({ bytes: bytes.length, blobs: 1 })
  })

  it('stores one blob for ten concurrent puts of the same content', async () => {
    const { store, dir } = await tempStore()
    const bytes = randomBytes(500_000)
    const infos = await Promise.all(Array.from({ length: 10 }, async () => await store.putStream(chunked(bytes, 8192))))
    expect(new Set(infos.map((i) => i.digest))).toEqual(new Set([sha256(bytes)]))
    expect(await storeFiles(dir)).toEqual({ blobs: [sha256(bytes).slice(7)], ingest: [] })
    expect(await store.usage()).toEqual({ bytes: bytes.length, blobs: 1 })
  })

  it('refuses content that differs from what was expected, leaving nothing behind', async () => {
    const { store, dir } = await tempStore()
    const bytes = randomBytes(10_000)
    const other = sha256(randomBytes(10))
    expect((await rejection(store.putStream(chunked(bytes, 1000), { digest: other, size: bytes.length }))).data).toMatchObject({ reason: 'digest_mismatch' })
    expect((await rejection(store.putStream(chunked(bytes, 1000), { digest: sha256(bytes), size: bytes.length + 1 }))).data).toMatchObject({ reason: 'size_mismatch' })
    // An endless source ends only because the store stops at the expected size.
    expect((await rejection(store.putStream(endless(), { digest: sha256(bytes), size: bytes.length }))).data).toMatchObject({ reason: 'size_mismatch' })
    expect(await storeFiles(dir)).toEqual({ blobs: [], ingest: [] })
  })

  it('refuses malformed digests before they become paths', async () => {
    const { store } = await tempStore()
    for (const bad of ['sha256:../../etc/passwd', `sha256:${'A'.repeat(64)}`, 'md5:abc', `sha256:${'0'.repeat(63)}`]) {
      expect(await store.has(bad)).toBe(false)
      expect(() => store.path(bad)).toThrow(expect.objectContaining({ name: 'ArtifactError' }))
      expect((await rejection(store.putStream(chunked(Buffer.from('x'), 1), { digest: bad, size: 1 }))).name).toBe('ArtifactError')
    }
    expect((await rejection(readAll(store.open(sha256(Buffer.from('absent')))))).data).toMatchObject({ reason: 'not_found' })
  })

  it('ignores and cleans the partial temp file of a writer that was killed mid-put', async () => {
    const { dir } = await tempStore()
    const child = execa(process.execPath, [join(import.meta.dirname, 'crash-writer.ts'), dir], { reject: false })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('writing')) resolve() })
      void child.then((r) => { reject(new Error(`writer exited early: ${r.stderr}`)) })
    })
    child.kill('SIGKILL')
    await child
    const left = (await storeFiles(dir)).ingest
    expect(left).toHaveLength(1)
    expect((await stat(join(dir, 'ingest', left[0]!))).size).toBeGreaterThan(0)
    const store = createArtifactStore({ dir, budgetBytes: 1 << 30, logger: silentLogger })
    expect(await store.usage()).toEqual({ bytes: 0, blobs: 0 })
    expect(await storeFiles(dir)).toEqual({ blobs: [], ingest: [] })
    const info = await store.putStream(chunked(Buffer.from('after the crash'), 4))
    expect(await store.has(info.digest)).toBe(true)
  })

  it('evicts least recently used blobs down to the budget, never a pinned one', async () => {
    const { dir } = await tempStore()
    const store = createArtifactStore({ dir, budgetBytes: 2500, logger: silentLogger })
    const put = async (fill: number): Promise<string> => (await store.putStream(chunked(Buffer.alloc(1000, fill), 1000))).digest
    const a = await put(1)
    const b = await put(2)
    const c = await put(3)
    await store.touch(a)
    const d = await put(4)
    // Use order: b, c, a, d. b is pinned, so c and a go, oldest first, and then the total fits.
    const result = await store.evict({ pinned: new Set([b]) })
    expect(result).toEqual({ removed: [c, a], freedBytes: 2000 })
    expect(await store.has(b)).toBe(true)
    expect(await store.has(d)).toBe(true)
    expect(await store.usage()).toEqual({ bytes: 2000, blobs: 2 })
    expect((await store.evict({ pinned: new Set() })).removed).toEqual([])
    // Use order survives a restart: the use times are on disk.
    await store.touch(b)
    const reopened = createArtifactStore({ dir, budgetBytes: 1000, logger: silentLogger })
    expect((await reopened.evict({ pinned: new Set() })).removed).toEqual([d])
    expect(await readdir(join(dir, 'blobs', 'sha256'))).toEqual([b.slice(7)])
  })
})

describe('planEviction', () => {
  const blobs = fc.uniqueArray(
    fc.record({ digest: fc.stringMatching(/^sha256:[0-9a-f]{64}$/), size: fc.integer({ min: 0, max: 5000 }), usedAt: fc.integer({ min: 0, max: 50 }) }),
    { selector: (b) => b.digest, maxLength: 30 }
  )

  it('removes only unpinned blobs, oldest first, and stops as soon as the total fits', () => {
    fc.assert(fc.property(blobs, fc.integer({ min: 0, max: 60_000 }), fc.func(fc.boolean()), (all: BlobUse[], budget, pinFn) => {
      const pinned = new Set(all.filter((b) => pinFn(b.digest)).map((b) => b.digest))
      const victims = planEviction(all, budget, pinned)
      const total = all.reduce((n, b) => n + b.size, 0)
      const left = total - victims.reduce((n, b) => n + b.size, 0)
      const removed = new Set(victims.map((v) => v.digest))
      const keptUnpinned = all.filter((b) => !removed.has(b.digest) && !pinned.has(b.digest))
      expect(victims.every((v) => !pinned.has(v.digest))).toBe(true)
      // Within budget, unless only pinned blobs are left.
      expect(left <= budget || keptUnpinned.length === 0).toBe(true)
      // Minimal: without the last victim it would not have fitted.
      const last = victims.at(-1)
      if (last !== undefined) expect(left + last.size).toBeGreaterThan(budget)
      // LRU: every victim was used no later than every unpinned blob kept.
      for (const v of victims) for (const k of keptUnpinned) expect(v.usedAt <= k.usedAt).toBe(true)
      // The same plan whatever order the blobs are listed in.
      expect(planEviction([...all].reverse(), budget, pinned)).toEqual(victims)
    }))
  })
})

describe('putFile', () => {
  it('stores a local file', async () => {
    const { store, dir } = await tempStore()
    const file = join(dir, 'input.bin')
    const bytes = randomBytes(12345)
    await writeFile(file, bytes)
    expect(await store.putFile(file)).toEqual({ digest: sha256(bytes), size: bytes.length })
  })
})
