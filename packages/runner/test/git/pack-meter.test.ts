import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { runGit } from '../../src/git/exec.ts'
import { PackMeter, packObjectCount, type FailWith } from '../../src/git/pack-in.ts'
import { createKeyedLock } from '../../src/git/lock.ts'
import { developerRepo, tempDirs } from './fixtures.ts'

const dirs = tempDirs()
afterAll(dirs.cleanup)

class Failed extends Error {
  readonly reason: string
  constructor (reason: string) {
    super(reason)
    this.reason = reason
  }
}

const fail: FailWith = (reason) => new Failed(reason)

/** `bytes` cut at the given points. */
function split (bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let at = 0
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p))
    at = p
  }
  return out
}

describe('metering an incoming pack', () => {
  let pack: Buffer
  let objects: number
  beforeAll(async () => {
    const dev = await developerRepo(await dirs.make('dev'), 5)
    pack = (await runGit(['--git-dir', dev.gitdir, 'pack-objects', '--revs', '--stdout', '-q'], { input: `${dev.first}\n` })).stdout
    objects = (await runGit(['--git-dir', dev.gitdir, 'rev-list', '--objects', dev.first])).stdout.toString().trim().split('\n').length
  })

  it('reads the object count from the header however the stream is split', () => {
    expect(packObjectCount(pack)).toBe(objects)
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
      const meter = new PackMeter(pack.length, fail)
      const seen: number[] = []
      for (const chunk of split(pack, cuts)) {
        meter.take(chunk)
        seen.push(meter.objects)
      }
      expect(meter.bytes).toBe(pack.length)
      expect(meter.objects).toBe(objects)
      expect(seen.every((n) => n === 0 || n === objects)).toBe(true)
    }))
  })

  it('fails as too_large exactly when the bytes pass the cap', () => {
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 20 }), fc.nat({ max: 4000 }), (cuts, cap) => {
      const meter = new PackMeter(cap, fail)
      let passed = 0
      for (const chunk of split(pack, cuts)) {
        if (passed + chunk.length > cap) {
          expect(() => { meter.take(chunk) }).toThrow(expect.objectContaining({ reason: 'too_large' }))
          return
        }
        meter.take(chunk)
        passed += chunk.length
      }
      expect(pack.length).toBeLessThanOrEqual(cap)
    }))
  })

  it('refuses bytes that are not a pack as corrupt_pack, however split', () => {
    const junk = Buffer.from('<html>not a pack</html>')
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
      const meter = new PackMeter(1 << 20, fail)
      expect(() => { for (const chunk of split(junk, cuts)) meter.take(chunk) }).toThrow(expect.objectContaining({ reason: 'corrupt_pack' }))
    }))
  })
})

describe('the keyed lock', () => {
  it('serves one holder per key in arrival order, and never makes tryAcquire wait', async () => {
    const lock = createKeyedLock()
    const order: string[] = []
    const first = await lock.acquire('k')
    expect(lock.tryAcquire('k')).toBeUndefined()
    const other = lock.tryAcquire('other')
    expect(other).toBeDefined()
    other!()
    const waiting = [1, 2, 3].map(async (n) => {
      const release = await lock.acquire('k')
      order.push(`in ${n}`)
      await Promise.resolve()
      order.push(`out ${n}`)
      release()
    })
    order.push('first out')
    first()
    first()
    await Promise.all(waiting)
    expect(order).toEqual(['first out', 'in 1', 'out 1', 'in 2', 'out 2', 'in 3', 'out 3'])
    const again = lock.tryAcquire('k')
    expect(again).toBeDefined()
    again!()
  })
})
