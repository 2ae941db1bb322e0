import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogStore, type LogStore } from '../../src/logs/store.ts'
import { NOTE_PREFIX } from '../../src/logs/writer.ts'

const MiB = 1024 * 1024
const job = (n: number): string => n.toString(16).padStart(64, '0')
const JOB = job(0xabc)
const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of source) parts.push(chunk)
  return Buffer.concat(parts)
}

/** Chunk `i` of a long stream of distinct, numbered lines. */
const numbered = (i: number): Buffer => Buffer.from(Array.from({ length: 1 + (i * 37) % 90 }, (_, k) => `chunk ${i} line ${k}\n`).join(''))

let dir: string
let store: LogStore
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'devq-logs-'))
  store = createLogStore({ dir, capBytes: MiB })
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('log store: the cap', () => {
  it('takes 1 GiB with a 1 MiB cap: about 1 MiB stored, cut on a UTF-8 boundary, one marker, every write succeeds, little memory', async () => {
    // 88-byte lines of 3-byte characters: the cap falls inside a character.
    const line = Buffer.from('€'.repeat(29) + '\n')
    const template = Buffer.alloc(MiB + line.length)
    for (let at = 0; at < template.length; at += line.length) line.copy(template, at)
    const rssBefore = process.memoryUsage().rss
    const started = performance.now()
    const writer = await store.open(JOB, 1)
    for (let i = 0; i < 1024; i++) {
      const phase = (i * MiB) % line.length
      await writer.write(Buffer.from(template.subarray(phase, phase + MiB)))
    }
    const summary = await writer.close()
    const seconds = (performance.now() - started) / 1000
    const rssGrowth = process.memoryUsage().rss - rssBefore

    const stored = await readFile(join(dir, JOB, '1.log'))
    const marker = `\n${NOTE_PREFIX}log truncated at 1 MiB; the job goes on\n`
    const body = stored.subarray(0, stored.length - Buffer.byteLength(marker))
    expect(body.length).toBe(MiB - 2)
    expect(body.equals(template.subarray(0, MiB - 2))).toBe(true)
    expect(stored.subarray(body.length).toString('utf8')).toBe(marker)
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(stored)).not.toThrow()
    expect(stored.toString('utf8').split('log truncated').length).toBe(2)
    expect(summary).toEqual({ digest: sha(stored), bytes: stored.length, truncated: true })
    expect(rssGrowth).toBeLessThan(200 * MiB)
    expect(seconds).toBeLessThan(40)
  })

  it('puts notes on lines of their own, one line each, and drops them after the cap with the rest', async () => {
    const small = createLogStore({ dir, capBytes: 100 })
    const writer = await small.open(JOB, 2)
    await writer.note('step build\nstarted')
    await writer.write(Buffer.from('no newline at the end'))
    await writer.note('step build finished')
    await writer.write(Buffer.from('x'.repeat(100)))
    await writer.note('after the cap')
    await writer.write(Buffer.from('more'))
    const summary = await writer.close()
    const text = (await collect(small.read(JOB, 2))).toString('utf8')
    const kept = `${NOTE_PREFIX}step build started\nno newline at the end\n${NOTE_PREFIX}step build finished\n`
    expect(text).toBe(kept + 'x'.repeat(100 - kept.length) + `\n${NOTE_PREFIX}log truncated at 100 bytes; the job goes on\n`)
    expect(summary.truncated).toBe(true)
  })

  it('refuses to write after close and keeps the first summary', async () => {
    const writer = await store.open(JOB, 3)
    await writer.write(Buffer.from('hello\n'))
    const first = await writer.close()
    expect(await writer.close()).toEqual(first)
    await expect(writer.write(Buffer.from('late'))).rejects.toMatchObject({ name: 'LogError', data: { reason: 'closed' } })
    expect(first).toEqual({ digest: sha(Buffer.from('hello\n')), bytes: 6, truncated: false })
  })
})

describe('log store: readers and followers', () => {
  it('gives a follower that attaches mid-way every byte once, in order, and ends it when the writer closes', async () => {
    const writer = await store.open(JOB, 1)
    const written: Buffer[] = []
    for (let i = 0; i < 50; i++) {
      written.push(numbered(i))
      await writer.write(numbered(i))
    }
    const fromStart = collect(store.follow(JOB, 1))
    const fromMiddle = collect(store.follow(JOB, 1, 1000))
    // A slow reader: after its first chunk it waits for the close, so the writer closes while it is behind.
    let closed = (): void => {}
    const writerClosed = new Promise<void>((resolve) => { closed = resolve })
    const slow = (async () => {
      const parts: Uint8Array[] = []
      for await (const chunk of store.follow(JOB, 1)) {
        if (parts.length === 0) await writerClosed
        parts.push(chunk)
      }
      return Buffer.concat(parts)
    })()
    let ended = false
    void fromStart.then(() => { ended = true })
    for (let i = 50; i < 120; i++) {
      written.push(numbered(i))
      await writer.write(numbered(i))
      // Let the followers run between writes, so some reads catch up with the writer and wait.
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    expect(ended).toBe(false)
    expect((await store.info(JOB, 1)).closed).toBe(false)
    await writer.close()
    closed()
    const all = Buffer.concat(written)
    expect((await fromStart).equals(all)).toBe(true)
    expect((await slow).equals(all)).toBe(true)
    expect((await fromMiddle).equals(all.subarray(1000))).toBe(true)
    const late = await collect(store.follow(JOB, 1))
    expect(late.equals(all)).toBe(true)
    expect(await store.info(JOB, 1)).toEqual({ bytes: all.length, closed: true, digest: sha(all), truncated: false })
  })

  it('ends a follower when its signal aborts, while the writer goes on', async () => {
    const writer = await store.open(JOB, 1)
    await writer.write(Buffer.from('first\n'))
    const controller = new AbortController()
    const got: string[] = []
    for await (const chunk of store.follow(JOB, 1, 0, controller.signal)) {
      got.push(Buffer.from(chunk).toString())
      controller.abort()
    }
    expect(got).toEqual(['first\n'])
    await writer.write(Buffer.from('second\n'))
    expect((await collect(store.read(JOB, 1))).toString()).toBe('first\nsecond\n')
    await writer.close()
  })

  it('lets a follower that comes before the first byte wait for it', async () => {
    const writer = await store.open(JOB, 4)
    const following = collect(store.follow(JOB, 4))
    await writer.write(Buffer.from('late start\n'))
    await writer.close()
    expect((await following).toString()).toBe('late start\n')
  })

  it('reads a log left by a previous process: closed ones with their digest, cut-off ones without', async () => {
    const writer = await store.open(JOB, 1)
    await writer.write(Buffer.from('done\n'))
    await writer.close()
    // A crashed writer leaves a log file without a summary.
    await writeFile(join(dir, JOB, '2.log'), 'cut off')
    const again = createLogStore({ dir })
    expect(await again.info(JOB, 1)).toEqual({ bytes: 5, closed: true, digest: sha(Buffer.from('done\n')), truncated: false })
    expect(await again.info(JOB, 2)).toEqual({ bytes: 7, closed: true })
    expect((await collect(again.follow(JOB, 2))).toString()).toBe('cut off')
    await expect(again.open(JOB, 1)).rejects.toMatchObject({ name: 'LogError', data: { reason: 'exists' } })
  })
})

describe('log store: ids and retention', () => {
  it('refuses bad job ids, attempts and offsets before touching the disk', async () => {
    for (const bad of ['../../etc/passwd', JOB.toUpperCase(), JOB.slice(1), `${JOB}/x`, '']) {
      await expect(store.open(bad, 1)).rejects.toMatchObject({ name: 'LogError', data: { reason: 'bad_job' } })
      expect(() => store.read(bad, 1)).toThrow(expect.objectContaining({ name: 'LogError', data: expect.objectContaining({ reason: 'bad_job' }) }))
    }
    for (const bad of [0, 1001, 1.5, Number.NaN]) {
      await expect(store.open(JOB, bad)).rejects.toMatchObject({ name: 'LogError', data: { reason: 'bad_attempt' } })
    }
    expect(() => store.follow(JOB, 1, -1)).toThrow(expect.objectContaining({ data: expect.objectContaining({ reason: 'bad_offset' }) }))
    expect(await readdir(dir)).toEqual([])
    await expect(store.info(JOB, 1)).rejects.toMatchObject({ name: 'LogError', data: { reason: 'not_found' } })
    expect(await store.has(JOB, 1)).toBe(false)
    await expect(collect(store.read(JOB, 1))).rejects.toMatchObject({ data: { reason: 'not_found' } })
  })

  it('gives one writer per attempt', async () => {
    const writer = await store.open(JOB, 1)
    await expect(store.open(JOB, 1)).rejects.toMatchObject({ name: 'LogError', data: { reason: 'exists' } })
    expect(await store.has(JOB, 1)).toBe(true)
    await writer.close()
  })

  it('prunes the jobs not kept, never a log being written, never a file it does not own', async () => {
    for (const n of [1, 2, 3]) {
      const w = await store.open(job(n), 1)
      await w.write(Buffer.from(`job ${n}\n`))
      await w.close()
    }
    const liveWriter = await store.open(job(4), 1)
    await mkdir(join(dir, 'not-a-job'))
    let expectedBytes = 0
    for (const n of [1, 3]) for (const f of await readdir(join(dir, job(n)))) expectedBytes += (await stat(join(dir, job(n), f))).size
    const result = await store.prune((j) => j === job(2))
    expect(result).toEqual({ jobs: 2, bytes: expectedBytes })
    expect(await store.has(job(1), 1)).toBe(false)
    expect(await store.has(job(2), 1)).toBe(true)
    expect(await store.has(job(4), 1)).toBe(true)
    expect((await readdir(dir)).sort()).toEqual([job(2), job(4), 'not-a-job'].sort())
    await liveWriter.close()
  })
})
