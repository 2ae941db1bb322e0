/**
 * Telling whether an artifact's file is a tar, so that an artifact of any kind that is in fact a tar
 * has its entries checked. A name that says tar (`.tar`, `.tgz`, `.tar.<anything>`, `.txz`, `.tbz2`,
 * `.tbr`) makes it one whatever its bytes. Otherwise its first bytes decide: a plain tar's first
 * 512-byte block is a tar header (the `ustar` magic, or a valid checksum as old v7 tars have) or all
 * zeros (tar readers skip zero blocks); gzip, zstd, xz and bzip2 are told by their magic, then
 * decompressed only as far as that first block. Brotli has no magic, so only its name tells it.
 */
import { Header } from 'tar'
import { decompressor, type TarCompression } from './decompress.ts'
import { MAX_TAR_SNIFF_BYTES } from './limits.ts'

export type { TarCompression } from './decompress.ts'

/** What `sniffTar` read and what it found. */
export interface TarSniff {
  /** The chunks read to decide, in order; the caller passes them on before the rest. */
  head: Uint8Array[]
  /** Whether the source ended within `head`. */
  ended: boolean
  /** The tar's compression, or undefined when the bytes are not a tar. */
  tar: TarCompression | undefined
}

const BLOCK = 512
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b])
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])
const BZIP2_MAGIC = Buffer.from('BZh', 'latin1')
const TAR_NAME = /\.(tar|tgz|txz|tbz2?|tbr|tar\.[^./]+)$/i

/** Whether `block` (at least 512 bytes) starts with a tar header. */
export function isTarHeader (block: Buffer): boolean {
  if (block.length < BLOCK) return false
  if (block.subarray(257, 262).toString('latin1') === 'ustar') return true
  try {
    return new Header(block.subarray(0, BLOCK)).cksumValid
  } catch {
    return false
  }
}

function startsWith (bytes: Buffer, magic: Buffer): boolean {
  return bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic)
}

/** A stream's chunks, pulled one at a time and remembered. */
interface Reader {
  head: Uint8Array[]
  bytes: number
  ended: boolean
  pull(): Promise<Uint8Array | undefined>
}

function reader (next: () => Promise<Uint8Array | undefined>): Reader {
  const r: Reader = {
    head: [],
    bytes: 0,
    ended: false,
    async pull () {
      if (r.ended) return undefined
      const chunk = await next()
      if (chunk === undefined) r.ended = true
      else { r.head.push(chunk); r.bytes += chunk.length }
      return chunk
    }
  }
  return r
}

/**
 * The first decompressed block, fed from the chunks already read and then from further ones, or
 * undefined when no decision can be made: `MAX_TAR_SNIFF_BYTES` of input gave less than a block,
 * or this Node has no decompressor for it. A stream that ends or breaks before a whole block gives
 * what came out before.
 */
async function firstBlock (r: Reader, compression: Exclude<TarCompression, 'none'>, want = BLOCK): Promise<Buffer | undefined> {
  const d = decompressor(compression)
  if (d === undefined) return undefined
  const out: Buffer[] = []
  let outBytes = 0
  let settled = false
  let broke = false
  const finished = new Promise<void>((resolve) => {
    const settle = (): void => { settled = true; resolve() }
    d.on('data', (chunk: Buffer) => { out.push(chunk); outBytes += chunk.length; if (outBytes >= want) settle() })
    d.on('end', settle)
    d.on('error', () => { broke = true; settle() })
  })
  const write = async (chunk: Uint8Array): Promise<void> => { await Promise.race([new Promise<void>((resolve) => { d.write(chunk, () => { resolve() }) }), finished]) }
  try {
    for (const chunk of [...r.head]) if (!settled) await write(chunk)
    while (!settled && r.bytes < MAX_TAR_SNIFF_BYTES) {
      const chunk = await r.pull()
      if (chunk === undefined) break
      await write(chunk)
    }
    if (!settled && r.ended) {
      d.end()
      await finished
    }
    // A decompressor that broke (or cannot run here) before giving anything decides nothing: the
    // file is then checked as a tar, and refused if it cannot be read as one.
    if (broke && outBytes === 0) return undefined
    return settled ? Buffer.concat(out) : undefined
  } finally {
    d.destroy()
  }
}

/** The compression a name says, for a name that says tar; undefined otherwise. */
function namedTar (fileName: string): TarCompression | undefined {
  if (!TAR_NAME.test(fileName)) return undefined
  if (/\.(tar\.br|tbr)$/i.test(fileName)) return 'brotli'
  if (/\.(tar\.xz|txz)$/i.test(fileName)) return 'xz'
  if (/\.(tar\.bz2|tbz2?)$/i.test(fileName)) return 'bzip2'
  // node-tar's Parser finds gzip and zstd itself, and refuses what is no tar at all.
  return 'none'
}

function compressionOf (start: Buffer): TarCompression | undefined {
  if (startsWith(start, GZIP_MAGIC)) return 'gzip'
  if (startsWith(start, ZSTD_MAGIC)) return 'zstd'
  if (startsWith(start, XZ_MAGIC)) return 'xz'
  if (startsWith(start, BZIP2_MAGIC) && start.length > 3 && start[3]! >= 0x31 && start[3]! <= 0x39) return 'bzip2'
  if (isTarHeader(start)) return 'none'
  return undefined
}

const ZERO_LOOK_BYTES = 64 * 1024

const isZero = (block: Buffer): boolean => block.length >= BLOCK && block.subarray(0, BLOCK).every((b) => b === 0)

/** Whether the first non-zero block of `bytes` (looking at most 64 KiB in) is a tar header, as for a tar led by zero blocks. */
function leadsWithTar (bytes: Buffer): boolean {
  for (let at = 0; at + BLOCK <= Math.min(bytes.length, ZERO_LOOK_BYTES); at += BLOCK) {
    const block = bytes.subarray(at, at + BLOCK)
    if (!isZero(block)) return isTarHeader(block)
  }
  return false
}

/**
 * Reads the start of a stream through `next` (which gives undefined at its end) and tells whether
 * it is a tar. Reads a block for a plain file (in practice the first chunk, which is stored anyway);
 * a compressed one is read until a decompressed block comes out, at most `MAX_TAR_SNIFF_BYTES`.
 * A compressed stream that gives no block within that is treated as a tar, so a long gzip header
 * cannot hide one; the tar check then refuses it if it is unreadable.
 */
export async function sniffTar (next: () => Promise<Uint8Array | undefined>, fileName: string): Promise<TarSniff> {
  const r = reader(next)
  while (r.bytes < BLOCK && await r.pull() !== undefined);
  const start = Buffer.concat(r.head)
  const byName = namedTar(fileName)
  if (byName !== undefined) return { head: r.head, ended: r.ended, tar: byName === 'none' ? compressionOf(start) ?? 'none' : byName }
  const compression = compressionOf(start)
  if (compression === undefined && isZero(start)) {
    while (r.bytes < ZERO_LOOK_BYTES && await r.pull() !== undefined);
    return { head: r.head, ended: r.ended, tar: leadsWithTar(Buffer.concat(r.head)) ? 'none' : undefined }
  }
  if (compression === undefined || compression === 'none') return { head: r.head, ended: r.ended, tar: compression }
  let block = await firstBlock(r, compression)
  if (block !== undefined && isZero(block)) block = await firstBlock(r, compression, ZERO_LOOK_BYTES)
  const tar = block === undefined || leadsWithTar(block) ? compression : undefined
  return { head: r.head, ended: r.ended, tar }
}
