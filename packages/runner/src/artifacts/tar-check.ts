/**
 * Reading a tar (plain, gzip or zstd, which node-tar's Parser detects, or brotli when told) as its bytes stream past,
 * refusing any entry that would land outside the directory it is extracted into: an absolute name,
 * a `..` component, a link whose target leaves the archive, or a device or fifo entry.
 */
import { posix } from 'node:path'
import { Parser, type ReadEntry } from 'tar'
import type { ArtifactFailure } from '../errors.ts'
import { decompressor, type Decompressor, type TarCompression } from './decompress.ts'
import { MAX_TAR_ENTRIES } from './limits.ts'
import { artifactError } from './refusal.ts'

/** An entry as the checks see it. */
export interface TarEntryInfo {
  path: string
  type: string
  size: number
  linkpath?: string | undefined
}

/** Receives one entry's bytes. */
export interface EntrySink {
  write(chunk: Buffer): void
  end(): void
}

/** A push-fed check of a tar stream; `end` resolves once the whole tar was read and accepted. */
export interface TarScanner {
  write(chunk: Uint8Array): Promise<void>
  end(): Promise<void>
  /** Gives up on a tar that will not be read to its end (a refusal, a cap, a failed read): frees its decompressor. Idempotent. */
  abort?(): void
}

/** Options of `createTarScanner`. */
export interface TarScanInit {
  artifact: string
  /** The reason given when the bytes are not a readable tar. */
  unreadable: ArtifactFailure
  /** Called for each accepted entry; may return a sink for the entry's bytes. Must not throw. */
  onEntry?: (entry: TarEntryInfo) => EntrySink | undefined
  maxEntries?: number
  /**
   * How the bytes are compressed, when node-tar cannot tell by itself: brotli (it has no magic), xz
   * and bzip2 (node-tar cannot read them; the system's `xz` or `bzip2` decompresses). gzip and zstd
   * it detects.
   */
  compression?: TarCompression
  /**
   * Check entry names only (no absolute name, no `..`), not link targets or device entries: for a
   * `binary` that happens to be a tar (a root filesystem or an SDK holds absolute symlinks by nature).
   */
  namesOnly?: boolean
}

const DEVICE_TYPES = new Set(['CharacterDevice', 'BlockDevice', 'FIFO'])

function climbs (path: string): boolean {
  return path.split(/[/\\]/).includes('..')
}

function absolute (path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)
}

/** Why an entry named `path` would land outside the directory it is extracted into, or undefined. */
export function unsafeTarName (path: string): string | undefined {
  if (path === '') return 'has an empty name'
  if (absolute(path)) return 'has an absolute name'
  if (climbs(path)) return 'has a .. component in its name'
  return undefined
}

/**
 * The names-only check of a `binary` tar: its symlinks may point anywhere (a root filesystem's do),
 * but no entry may go through a symlink that leaves the archive (`a -> /etc`, then `a/cron`), and
 * a hard link must stay inside it.
 */
function namesOnlyCheck (): (entry: TarEntryInfo) => string | undefined {
  const leaving = new Set<string>()
  return (entry) => {
    const name = unsafeTarName(entry.path)
    if (name !== undefined) return name
    const path = posix.normalize(entry.path.replaceAll('\\', '/')).replace(/\/$/, '')
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const through = parts.slice(0, i).join('/')
      if (leaving.has(through)) return `goes through ${JSON.stringify(through)}, a symlink that leaves the archive`
    }
    if (entry.type === 'Link') return unsafeTarEntry(entry)
    if (entry.type === 'SymbolicLink' && unsafeTarEntry(entry) !== undefined) leaving.add(path)
    return undefined
  }
}

/**
 * Why extracting `entry` would be unsafe, or undefined when it is safe. A symlink's target is taken
 * relative to the entry's directory, a hard link's relative to the archive root (as tar does).
 */
export function unsafeTarEntry (entry: TarEntryInfo): string | undefined {
  const name = unsafeTarName(entry.path)
  if (name !== undefined) return name
  if (DEVICE_TYPES.has(entry.type)) return `is a ${entry.type} entry`
  if (entry.type !== 'SymbolicLink' && entry.type !== 'Link') return undefined
  const target = entry.linkpath ?? ''
  if (target === '') return 'is a link with no target'
  if (absolute(target)) return `links to the absolute path ${JSON.stringify(target)}`
  const base = entry.type === 'SymbolicLink' ? posix.dirname(entry.path) : '.'
  const resolved = posix.normalize(posix.join(base, target.replaceAll('\\', '/')))
  if (resolved === '..' || resolved.startsWith('../')) return `links to ${JSON.stringify(target)}, outside the archive`
  return undefined
}

function entryInfo (entry: ReadEntry): TarEntryInfo {
  return { path: entry.path, type: entry.type, size: entry.size, linkpath: entry.linkpath }
}

/** For xz and bzip2, the system's decompressor, piped into `parser`; its failure is the tar's. */
function externalInput (init: TarScanInit, parser: Parser, fail: (err: Error) => void): Decompressor | undefined {
  if (init.compression !== 'xz' && init.compression !== 'bzip2') return undefined
  const external = decompressor(init.compression)
  if (external === undefined) return undefined
  external.pipe(parser)
  external.on('error', (err: Error) => {
    fail(artifactError(init.artifact, init.unreadable, `is not a readable tar: ${err.message}`, undefined, { cause: err }))
    parser.end()
  })
  return external
}

/**
 * A scanner fed the bytes of one tar. Refuses the first unsafe entry with `bad_tar_entry` (naming
 * it), bytes that are not a tar with `init.unreadable`, and more than `maxEntries` entries.
 */
export function createTarScanner (init: TarScanInit): TarScanner {
  const maxEntries = init.maxEntries ?? MAX_TAR_ENTRIES
  const namesOnly = namesOnlyCheck()
  let failure: Error | undefined
  let entries = 0
  const fail = (err: Error): void => { failure ??= err }
  const parser = new Parser({
    // Strict: a bad checksum or a body cut short is an error, not a warning.
    strict: true,
    brotli: init.compression === 'brotli',
    onReadEntry: (entry: ReadEntry) => {
      const info = entryInfo(entry)
      const unsafe = ++entries > maxEntries ? `is past the cap of ${maxEntries} entries` : init.namesOnly === true ? namesOnly(info) : unsafeTarEntry(info)
      if (unsafe !== undefined) fail(artifactError(init.artifact, 'bad_tar_entry', `has a tar entry that ${unsafe}`, info.path))
      const sink = failure === undefined ? init.onEntry?.(info) : undefined
      if (sink === undefined) {
        entry.resume()
        return
      }
      entry.on('data', (chunk: Buffer) => { sink.write(chunk) })
      entry.on('end', () => { sink.end() })
    }
  })
  const done = new Promise<void>((resolve) => {
    parser.on('end', () => { resolve() })
    parser.on('error', (err: Error) => {
      fail(artifactError(init.artifact, init.unreadable, `is not a readable tar: ${err.message}`, undefined, { cause: err }))
      resolve()
    })
  })
  const check = (): void => { if (failure !== undefined) throw failure }
  const external = externalInput(init, parser, fail)
  const input = external ?? parser
  return {
    async write (chunk) {
      check()
      if (!input.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        await Promise.race([new Promise<void>((resolve) => input.once('drain', () => { resolve() })), done])
      }
      check()
    },
    async end () {
      check()
      input.end()
      await done
      const broken = await external?.ended
      if (broken !== undefined) fail(artifactError(init.artifact, init.unreadable, `is not a readable tar: ${broken}`))
      check()
    },
    abort () {
      external?.destroy()
      parser.abort(new Error('the tar check was given up'))
    }
  }
}

/** Passes `source` through unchanged while feeding `scanner`; throws the scanner's refusal, at the latest at the end. */
export async function * scanned (source: AsyncIterable<Uint8Array>, scanner: TarScanner): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    await scanner.write(chunk)
    yield chunk
  }
  await scanner.end()
}
