import { Parser } from 'tar'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { unsafeTarEntry } from '../../src/artifacts/tar-check.ts'
import { deterministicTar, type TarSource } from '../../src/artifacts/tar-write.ts'
import { readAll, sha256 } from './support.ts'

const segment = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$/).filter((s) => s !== '..' && s !== '.')
const safePath = fc.array(segment, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('/'))

function source (name: string, body: Buffer, mode = 0o644): TarSource {
  return {
    name,
    open: async () => ({
      size: body.length,
      mode,
      chunks: async function * () { for (let i = 0; i < body.length; i += 700) yield body.subarray(i, i + 700) },
      close: async () => {}
    })
  }
}

async function unpack (tar: Buffer): Promise<Map<string, { body: Buffer, mode: number, mtime: number }>> {
  const out = new Map<string, { body: Buffer, mode: number, mtime: number }>()
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry) => {
        const parts: Buffer[] = []
        entry.on('data', (c: Buffer) => parts.push(c))
        entry.on('end', () => out.set(entry.path, { body: Buffer.concat(parts), mode: entry.mode ?? -1, mtime: entry.mtime?.getTime() ?? -1 }))
      }
    })
    parser.on('end', resolve)
    parser.on('error', reject)
    parser.end(tar)
  })
  return out
}

describe('tar entry safety', () => {
  it('accepts relative names without .. and links that stay inside', () => {
    fc.assert(fc.property(safePath, safePath, (path, target) => {
      expect(unsafeTarEntry({ path, type: 'File', size: 0 })).toBeUndefined()
      expect(unsafeTarEntry({ path, type: 'Link', size: 0, linkpath: target })).toBeUndefined()
      const depth = path.split('/').length - 1
      expect(unsafeTarEntry({ path, type: 'SymbolicLink', size: 0, linkpath: `${'../'.repeat(depth)}${target}` })).toBeUndefined()
    }))
  })

  it('refuses any name with a .. component or an absolute name, and links that leave', () => {
    fc.assert(fc.property(fc.array(segment, { maxLength: 4 }), fc.array(segment, { maxLength: 4 }), safePath, (before, after, target) => {
      const climbing = [...before, '..', ...after].join('/')
      expect(unsafeTarEntry({ path: climbing, type: 'File', size: 0 })).toMatch(/\.\./)
      expect(unsafeTarEntry({ path: `/${target}`, type: 'File', size: 0 })).toMatch(/absolute/)
      const path = [...before, 'link'].join('/')
      const out = `${'../'.repeat(before.length + 1)}${target}`
      expect(unsafeTarEntry({ path, type: 'SymbolicLink', size: 0, linkpath: out })).toMatch(/outside/)
      expect(unsafeTarEntry({ path, type: 'SymbolicLink', size: 0, linkpath: `/${target}` })).toMatch(/absolute/)
      expect(unsafeTarEntry({ path, type: 'Link', size: 0, linkpath: `../${target}` })).toMatch(/outside/)
    }))
    expect(unsafeTarEntry({ path: 'dev/null', type: 'CharacterDevice', size: 0 })).toMatch(/CharacterDevice/)
  })
})

describe('deterministic tar', () => {
  const files = fc.uniqueArray(fc.record({ name: safePath, body: fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)), exec: fc.boolean() }), { selector: (f) => f.name, minLength: 1, maxLength: 12 })

  it('round-trips names, bytes and portable modes, in sorted order with a fixed mtime', async () => {
    await fc.assert(fc.asyncProperty(files, async (list) => {
      const tar = await readAll(deterministicTar(list.map((f) => source(f.name, f.body, f.exec ? 0o775 : 0o664))))
      expect(tar.length % 512).toBe(0)
      const entries = await unpack(tar)
      expect([...entries.keys()]).toEqual(list.map((f) => f.name).sort((a, b) => (a < b ? -1 : 1)))
      for (const f of list) {
        const e = entries.get(f.name)!
        expect(e.body.equals(f.body)).toBe(true)
        expect(e.mode).toBe(f.exec ? 0o755 : 0o644)
        expect(e.mtime).toBe(Date.UTC(2000, 0, 1))
      }
    }), { numRuns: 60 })
  })

  it('gives the same bytes for the same files in any order', async () => {
    await fc.assert(fc.asyncProperty(files, async (list) => {
      const one = await readAll(deterministicTar(list.map((f) => source(f.name, f.body))))
      const two = await readAll(deterministicTar([...list].reverse().map((f) => source(f.name, f.body))))
      expect(sha256(two)).toBe(sha256(one))
    }), { numRuns: 40 })
  })
})
