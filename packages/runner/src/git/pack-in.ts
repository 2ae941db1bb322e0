/**
 * Taking in one pack from the network into a mirror: metering (bytes, object count, cap), then
 * indexing with `git index-pack --stdin --fix-thin --strict`, or, without git, writing it under
 * objects/pack and indexing it with isomorphic-git. A failed intake leaves no pack registered:
 * temporary files and packs without an index are removed, and a pack that fails verification is
 * taken out again by `removePack`.
 */
import fs from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { open, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isoGit } from './iso-git.ts'
import type { SourceFailure } from '../errors.ts'
import { failureOf, spawnGit } from './exec.ts'
import { PACK_HEADER_BYTES, PACK_TRAILER_BYTES } from './limits.ts'

/** Makes the error an intake failure becomes (the caller knows repo, commit and peer). */
export type FailWith = (reason: SourceFailure, detail: string, cause?: unknown) => Error

/** Progress of one transfer. */
export interface PackProgress {
  bytes: number
  /** Objects the pack announces in its header (0 until the header arrived). */
  objects: number
}

/** The object count of a pack header, or undefined when `header` is not the start of a version 2 or 3 pack. Pure. */
export function packObjectCount (header: Uint8Array): number | undefined {
  if (header.length < PACK_HEADER_BYTES) return undefined
  const b = Buffer.from(header.buffer, header.byteOffset, PACK_HEADER_BYTES)
  if (b.toString('latin1', 0, 4) !== 'PACK') return undefined
  const version = b.readUInt32BE(4)
  return version === 2 || version === 3 ? b.readUInt32BE(8) : undefined
}

/**
 * Counts a pack's bytes as they pass, reads its object count from the first 12 bytes however the
 * chunks are split, and fails the transfer (with `too_large`) as soon as it passes `maxBytes`.
 */
export class PackMeter {
  bytes = 0
  objects = 0
  private head = Buffer.alloc(0)
  private readonly maxBytes: number
  private readonly fail: FailWith
  private readonly onProgress: ((p: PackProgress) => void) | undefined

  constructor (maxBytes: number, fail: FailWith, onProgress?: (p: PackProgress) => void) {
    this.maxBytes = maxBytes
    this.fail = fail
    this.onProgress = onProgress
  }

  /** Passes `source` through, metered. */
  async * pass (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.take(chunk)
      yield chunk
    }
  }

  /** Accounts for one chunk. @throws the `too_large` failure once over the cap. */
  take (chunk: Uint8Array): void {
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes) throw this.fail('too_large', `the pack passed the ${this.maxBytes}-byte cap`)
    if (this.head.length < PACK_HEADER_BYTES) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, PACK_HEADER_BYTES - this.head.length)])
      if (this.head.length === PACK_HEADER_BYTES) {
        const count = packObjectCount(this.head)
        if (count === undefined) throw this.fail('corrupt_pack', 'the data is not a git pack (bad header)')
        this.objects = count
      }
    }
    this.onProgress?.({ bytes: this.bytes, objects: this.objects })
  }
}

/** Options of one intake. */
export interface IntakeOptions {
  useGit: boolean
  gitPath?: string
  signal?: AbortSignal
  fail: FailWith
}

/** Removes temporary files and packs without an index (what a killed index-pack leaves). */
async function tidyPackDir (gitdir: string): Promise<void> {
  const dir = join(gitdir, 'objects', 'pack')
  const names = await readdir(dir).catch(() => [] as string[])
  const indexed = new Set(names.filter((n) => n.endsWith('.idx')).map((n) => n.slice(0, -4)))
  for (const name of names) {
    const orphan = name.endsWith('.pack') && !indexed.has(name.slice(0, -5))
    if (name.startsWith('tmp_') || orphan) await rm(join(dir, name), { force: true })
  }
}

/** Packs present now, to tell a new pack from one that was already there. */
export async function packNames (gitdir: string): Promise<Set<string>> {
  return new Set(await readdir(join(gitdir, 'objects', 'pack')).catch(() => [] as string[]))
}

/** Takes out pack `name` (`pack-<hash>`) again, unless it was in `before`. */
export async function removePack (gitdir: string, name: string, before: Set<string>): Promise<void> {
  if (before.has(`${name}.pack`)) return
  for (const ext of ['.idx', '.rev', '.keep', '.pack']) await rm(join(gitdir, 'objects', 'pack', name + ext), { force: true })
}

/**
 * Passes `source` through and records an error only when the source itself throws; an error the
 * consumer throws in (a stream destroyed by its pipeline does that) is not recorded.
 */
function recordingErrors (source: AsyncIterable<Uint8Array>): { chunks: AsyncGenerator<Uint8Array>, error: () => unknown } {
  let error: unknown
  const chunks = (async function * () {
    const it = source[Symbol.asyncIterator]()
    try {
      while (true) {
        let next: IteratorResult<Uint8Array>
        try {
          next = await it.next()
        } catch (err) {
          error = err
          throw err
        }
        if (next.done === true) return
        yield next.value
      }
    } finally {
      void it.return?.()?.catch(() => {})
    }
  })()
  return { chunks, error: () => error }
}

/** Runs index-pack on `source`; the source's own error wins over the EPIPE it causes. */
async function indexWithGit (gitdir: string, source: AsyncIterable<Uint8Array>, opts: IntakeOptions): Promise<string> {
  const args = ['--git-dir', gitdir, 'index-pack', '--stdin', '--fix-thin', '--strict']
  const { child } = await spawnGit(args, { stdin: true, signal: opts.signal, gitPath: opts.gitPath })
  const out: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => { if (out.length < 64) out.push(c) })
  const input = recordingErrors(source)
  // A pipeline error alone is no verdict: index-pack may close stdin once it has the whole pack.
  let piped: unknown
  if (child.stdin === null) throw new Error('index-pack has no stdin')
  await pipeline(Readable.from(input.chunks, { objectMode: false }), child.stdin).catch((err: unknown) => { piped = err })
  if (input.error() !== undefined) {
    child.kill('SIGKILL')
    await child
    throw input.error()
  }
  const failure = failureOf(args, await child)
  if (failure !== undefined) {
    const reason = failure.data.detail === 'cancelled' ? 'timeout' : 'corrupt_pack'
    throw opts.fail(reason, failure.data.stderr || failure.data.detail, failure)
  }
  const match = /^(?:pack|keep)\t([0-9a-f]{40,64})$/m.exec(Buffer.concat(out).toString('utf8'))
  if (match?.[1] === undefined) throw opts.fail('git_failed', `index-pack did not name the pack it wrote${piped instanceof Error ? ` (${piped.message})` : ''}`)
  return `pack-${match[1]}`
}

/** Writes `source` to a temporary file under objects/pack, checking the trailer; returns the trailer hex. */
async function writePackFile (path: string, source: AsyncIterable<Uint8Array>, opts: IntakeOptions): Promise<string> {
  const hash = createHash('sha1')
  let tail = Buffer.alloc(0)
  let size = 0
  const file = await open(path, 'wx')
  try {
    for await (const chunk of source) {
      opts.signal?.throwIfAborted()
      await file.write(chunk)
      size += chunk.length
      // Hash everything but the last 20 bytes seen so far: they may be the trailer.
      const joined = Buffer.concat([tail, chunk])
      hash.update(joined.subarray(0, Math.max(0, joined.length - PACK_TRAILER_BYTES)))
      tail = Buffer.from(joined.subarray(Math.max(0, joined.length - PACK_TRAILER_BYTES)))
    }
  } finally {
    await file.close()
  }
  if (size < PACK_HEADER_BYTES + PACK_TRAILER_BYTES) throw opts.fail('corrupt_pack', `the pack ended after ${size} bytes`)
  const digest = hash.digest()
  if (!digest.equals(tail)) throw opts.fail('corrupt_pack', 'the pack checksum does not match its content (truncated or corrupted)')
  return tail.toString('hex')
}

/** Writes the pack under objects/pack and indexes it with isomorphic-git (whole pack in memory). */
async function indexWithIso (gitdir: string, source: AsyncIterable<Uint8Array>, opts: IntakeOptions): Promise<string> {
  const dir = join(gitdir, 'objects', 'pack')
  await fs.promises.mkdir(dir, { recursive: true })
  const tmp = join(dir, `tmp_pack_devq_${randomBytes(6).toString('hex')}`)
  const trailer = await writePackFile(tmp, source, opts)
  const name = `pack-${trailer}`
  await rename(tmp, join(dir, `${name}.pack`))
  try {
    await (await isoGit()).indexPack({ fs, dir: gitdir, gitdir, filepath: join('objects', 'pack', `${name}.pack`) })
  } catch (err) {
    await rm(join(dir, `${name}.idx`), { force: true })
    throw opts.fail('corrupt_pack', `isomorphic-git could not index the pack: ${err instanceof Error ? err.message : String(err)}`, err)
  }
  return name
}

/**
 * Indexes the pack arriving on `source` into the bare repository `gitdir`; returns the pack's
 * name (`pack-<hash>`). Call with the mirror's writer lock held.
 * @throws what `source` threw (stall, cap, reset), or a `corrupt_pack` failure from `opts.fail`.
 */
export async function intakePack (gitdir: string, source: AsyncIterable<Uint8Array>, opts: IntakeOptions): Promise<string> {
  try {
    return opts.useGit ? await indexWithGit(gitdir, source, opts) : await indexWithIso(gitdir, source, opts)
  } finally {
    await tidyPackDir(gitdir)
  }
}
