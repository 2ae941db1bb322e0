/**
 * Telling whether an artifact's file is a tar from its first bytes rather than its name, so that an
 * artifact of any kind that is in fact a tar has its entries checked. A plain tar's first 512-byte
 * block is a tar header (the `ustar` magic, or a valid checksum as old v7 tars have). gzip
 * (`1f 8b`) and zstd (`28 b5 2f fd`) are told by their magic, then decompressed only as far as that
 * first block. Brotli has no magic, so, as node-tar decides for extraction, only a `.tar.br` or
 * `.tbr` name makes it a candidate. Formats node-tar cannot read (bzip2, xz) count as not a tar.
 */
import type { Transform } from 'node:stream'
import * as zlib from 'node:zlib'
import { Header } from 'tar'
import { MAX_TAR_SNIFF_BYTES } from './limits.ts'

/** How a tar is compressed, as node-tar's Parser must be told or will detect. */
export type TarCompression = 'none' | 'gzip' | 'zstd' | 'brotli'

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

function decompressor (compression: Exclude<TarCompression, 'none'>): Transform | undefined {
  // Flushing on end makes a cut-short stream give what it has instead of only an error.
  if (compression === 'gzip') return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
  if (compression === 'brotli') return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
  // zstd came with Node 22.15; on an older Node nothing here can look inside, so the file counts as a
  // tar and the tar check refuses it as unreadable rather than let an unchecked tar through.
  const zstd = (zlib as Partial<typeof zlib>).createZstdDecompress
  return zstd === undefined ? undefined : zstd()
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
async function firstBlock (r: Reader, compression: Exclude<TarCompression, 'none'>): Promise<Buffer | undefined> {
  const d = decompressor(compression)
  if (d === undefined) return undefined
  const out: Buffer[] = []
  let outBytes = 0
  let settled = false
  const finished = new Promise<void>((resolve) => {
    const settle = (): void => { settled = true; resolve() }
    d.on('data', (chunk: Buffer) => { out.push(chunk); outBytes += chunk.length; if (outBytes >= BLOCK) settle() })
    d.on('end', settle)
    d.on('error', settle)
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
    return settled ? Buffer.concat(out) : undefined
  } finally {
    d.destroy()
  }
}

function compressionOf (start: Buffer, fileName: string): TarCompression | undefined {
  if (startsWith(start, GZIP_MAGIC)) return 'gzip'
  if (startsWith(start, ZSTD_MAGIC)) return 'zstd'
  if (isTarHeader(start)) return 'none'
  return /\.(tar\.br|tbr)$/i.test(fileName) ? 'brotli' : undefined
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
  const compression = compressionOf(Buffer.concat(r.head), fileName)
  if (compression === undefined || compression === 'none') return { head: r.head, ended: r.ended, tar: compression }
  const block = await firstBlock(r, compression)
  const tar = block === undefined || isTarHeader(block) ? compression : undefined
  return { head: r.head, ended: r.ended, tar }
}
