import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { brotliCompressSync, crc32, deflateRawSync, gzipSync, zstdCompressSync } from 'node:zlib'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import type { PlannedArtifact } from '@devq/core'
import { collectArtifacts } from '../../src/artifacts/collect.ts'
import { MAX_TAR_SNIFF_BYTES, READ_CHUNK_BYTES } from '../../src/artifacts/limits.ts'
import { sniffTar } from '../../src/artifacts/tar-sniff.ts'
import { rejection, sha256, storeFiles, tempDir, tempStore } from './support.ts'

function spec (name: string, kind: PlannedArtifact['kind'], file: string): PlannedArtifact {
  return { name, kind, paths: [file], exclude: [] }
}

/** A plain tar made by the tar CLI holding `ok.txt` and, when `evil`, an entry named `../x`. */
async function plainTar (evil: boolean): Promise<Buffer> {
  const dir = await tempDir('devq-tar-src-')
  await mkdir(join(dir, 'src'))
  await writeFile(join(dir, 'src/ok.txt'), 'fine')
  await writeFile(join(dir, 'x'), 'lands outside')
  const out = join(dir, 'out.tar')
  // -P keeps the leading ../ that GNU tar would otherwise strip from the name.
  await execa('tar', ['-P', '-cf', out, '-C', join(dir, 'src'), 'ok.txt', ...(evil ? ['../x'] : [])])
  return await readFile(out)
}

/** A gzip member whose header carries a file name of `nameBytes` bytes before the deflated body. */
function gzipWithLongName (body: Buffer, nameBytes: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3])
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(crc32(body), 0)
  trailer.writeUInt32LE(body.length, 4)
  return Buffer.concat([header, Buffer.alloc(nameBytes, 0x61), Buffer.from([0]), deflateRawSync(body), trailer])
}

async function collected (file: string, bytes: Buffer, kind: PlannedArtifact['kind'] = 'binary'): Promise<string> {
  const ws = await tempDir()
  await writeFile(join(ws, file), bytes)
  const { store } = await tempStore()
  const [ref] = await collectArtifacts({ workspace: ws, specs: [spec('app', kind, file)], store })
  return ref!.digest
}

async function refused (file: string, bytes: Buffer, kind: PlannedArtifact['kind'] = 'binary'): Promise<Record<string, unknown>> {
  const ws = await tempDir()
  await writeFile(join(ws, file), bytes)
  const { store, dir } = await tempStore()
  const err = await rejection(collectArtifacts({ workspace: ws, specs: [spec('app', kind, file)], store }))
  expect(err.name).toBe('ArtifactError')
  expect(err.message).toContain('"app"')
  expect(await storeFiles(dir)).toEqual({ blobs: [], ingest: [] })
  return err.data!
}

describe('a single-file artifact of any kind that is a tar has its entries checked', () => {
  it('refuses a binary .tar.gz with a ../x entry, as a package is refused', async () => {
    const evil = gzipSync(await plainTar(true))
    expect(await refused('evil.tar.gz', evil)).toMatchObject({ artifact: 'app', reason: 'bad_tar_entry', path: '../x' })
    expect((await refused('evil.tar.gz', evil, 'package')).detail).toMatch(/\.\. component/)
  })

  it('refuses such a tar by its content when its name does not say tar', async () => {
    const plain = await plainTar(true)
    expect(await refused('app', plain)).toMatchObject({ reason: 'bad_tar_entry', path: '../x' })
    expect(await refused('app.bin', gzipSync(plain))).toMatchObject({ reason: 'bad_tar_entry', path: '../x' })
    expect(await refused('app.tar.zst', zstdCompressSync(plain))).toMatchObject({ reason: 'bad_tar_entry', path: '../x' })
    expect(await refused('app.so', zstdCompressSync(plain))).toMatchObject({ reason: 'bad_tar_entry', path: '../x' })
    expect(await refused('app.tar.br', brotliCompressSync(plain))).toMatchObject({ reason: 'bad_tar_entry', path: '../x' })
  })

  it('refuses a gzip tar whose header is too long to see the tar behind it', async () => {
    const hidden = gzipWithLongName(await plainTar(true), MAX_TAR_SNIFF_BYTES + 1000)
    expect(await refused('data.bin', hidden)).toMatchObject({ reason: 'bad_tar_entry', path: '../x' })
  })

  it('stores a safe tar given as a binary, plain or compressed, byte for byte', async () => {
    const plain = await plainTar(false)
    for (const [file, bytes] of [['tool.tar', plain], ['tool.tgz', gzipSync(plain)], ['tool.tar.zst', zstdCompressSync(plain)], ['tool.bin', gzipSync(plain)]] as const) {
      expect(await collected(file, bytes)).toBe(sha256(bytes))
    }
  })

  it('stores files that are not tars untouched: an ELF executable, text, a gzip of text, a tiny file', async () => {
    const ws = await tempDir()
    await copyFile('/usr/bin/env', join(ws, 'env'))
    const elf = await readFile(join(ws, 'env'))
    expect(await collected('env', elf)).toBe(sha256(elf))
    const text = Buffer.from('#!/bin/sh\necho hello\n'.repeat(200))
    expect(await collected('hello.sh', text)).toBe(sha256(text))
    expect(await collected('hello.sh.gz', gzipSync(text))).toBe(sha256(gzipSync(text)))
    const xz = (await execa('xz', ['-c'], { input: text, encoding: 'buffer' })).stdout
    expect(await collected('firmware.xz', Buffer.from(xz))).toBe(sha256(Buffer.from(xz)))
    const zeros = Buffer.concat([Buffer.alloc(4096), text])
    expect(await collected('disk.img', zeros)).toBe(sha256(zeros))
  })

  it('takes a name that says tar at its word: bytes that are no tar are refused as unreadable', async () => {
    expect(await refused('notes.tar', Buffer.from('not a tar at all'))).toMatchObject({ reason: 'bad_tar_entry' })
    expect((await refused('blob.tar.br', brotliCompressSync(Buffer.from('text'.repeat(300))))).detail).toMatch(/not a readable tar/)
    // A cut-short .tar.xz: what xz gave before it failed is not taken for the whole tar.
    const whole = Buffer.from((await execa('xz', ['-c'], { input: Buffer.concat([await plainTar(false), randomBytes(256 * 1024)]), encoding: 'buffer' })).stdout)
    expect((await refused('cut.tar.xz', whole.subarray(0, whole.length - 64))).detail).toMatch(/not a readable tar/)
  })

  it('refuses a ../x entry behind leading zero blocks, and inside .tar.xz and .tar.bz2 (by name or by magic)', async () => {
    const plain = await plainTar(true)
    const zeroLed = Buffer.concat([Buffer.alloc(1024), plain])
    // Refused either way: for the entry, or as a tar that goes on past its end-of-archive zeros.
    expect(await refused('rootfs', zeroLed)).toMatchObject({ reason: 'bad_tar_entry' })
    expect(await refused('rootfs.gz', gzipSync(zeroLed))).toMatchObject({ reason: 'bad_tar_entry' })
    const xz = Buffer.from((await execa('xz', ['-c'], { input: plain, encoding: 'buffer' })).stdout)
    const bz2 = Buffer.from((await execa('bzip2', ['-c'], { input: plain, encoding: 'buffer' })).stdout)
    for (const [file, bytes] of [['pkg.tar.xz', xz], ['pkg.bin', xz], ['pkg.tar.bz2', bz2], ['pkg.dat', bz2]] as const) {
      expect(await refused(file, bytes, 'package'), file).toMatchObject({ reason: 'bad_tar_entry', path: '../x' })
    }
  })

  it('in a binary, refuses an entry that goes through a symlink leaving the archive, and a hard link out of it', async () => {
    const dir = await tempDir('devq-through-')
    await mkdir(join(dir, 'one'))
    await execa('ln', ['-s', '/etc', join(dir, 'one/a')])
    await mkdir(join(dir, 'two/a'), { recursive: true })
    await writeFile(join(dir, 'two/a/cron'), 'lands in /etc')
    const out = join(dir, 'through.tar')
    await execa('tar', ['-cf', out, '-C', join(dir, 'one'), 'a'])
    await execa('tar', ['-rf', out, '-C', join(dir, 'two'), 'a/cron'])
    expect((await refused('through.tar', await readFile(out))).detail).toMatch(/goes through "a", a symlink that leaves the archive/)
  })

  it('ends its xz or bzip2 child when it refuses a tar part way', async () => {
    const evil = Buffer.concat([await plainTar(true), randomBytes(4 * 1024 * 1024)])
    const xz = Buffer.from((await execa('xz', ['-0', '-c'], { input: evil, encoding: 'buffer' })).stdout)
    const bz2 = Buffer.from((await execa('bzip2', ['-1', '-c'], { input: evil, encoding: 'buffer' })).stdout)
    for (let i = 0; i < 3; i++) {
      await refused('e.tar.xz', xz, 'package')
      await refused('e.dat', bz2, 'package')
    }
    const children = async (): Promise<string[]> => {
      const found: string[] = []
      for (const pid of await readdir('/proc').catch(() => [] as string[])) {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        if (Number(fields[1]) === process.pid && /\((xz|bzip2)\)/.test(stat)) found.push(stat.slice(0, stat.lastIndexOf(')') + 1))
      }
      return found
    }
    for (let t = 0; t < 50 && (await children()).length > 0; t++) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await children()).toEqual([])
  })

  it('checks only entry names in a binary: a root filesystem tar with absolute symlinks is stored, a package is not', async () => {
    const dir = await tempDir('devq-rootfs-')
    await mkdir(join(dir, 'usr/bin'), { recursive: true })
    await execa('ln', ['-s', '/etc/alternatives/awk', join(dir, 'usr/bin/awk')])
    const out = join(dir, 'rootfs.tar.gz')
    await execa('tar', ['-czf', out, '-C', dir, 'usr'])
    const bytes = await readFile(out)
    expect(await collected('rootfs.tar.gz', bytes)).toBe(sha256(bytes))
    expect((await refused('rootfs.tar.gz', bytes, 'package')).detail).toMatch(/absolute path/)
  })
})

describe('telling a tar from its first bytes', () => {
  /** A source of `count` chunks of `chunk` (after an optional first one), counting how many were read. */
  function counted (first: Buffer, count: number): { next: () => Promise<Uint8Array | undefined>, reads: () => number } {
    let reads = 0
    const filler = Buffer.alloc(READ_CHUNK_BYTES, 0x41)
    return {
      next: async () => (reads < count ? (reads++ === 0 ? first : filler) : undefined),
      reads: () => reads
    }
  }

  it('reads only the first chunk of a large file that is not a tar', async () => {
    const src = counted(Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(READ_CHUNK_BYTES - 4)]), 100)
    const sniff = await sniffTar(src.next, 'app')
    expect(sniff.tar).toBeUndefined()
    expect(src.reads()).toBe(1)
    expect(sniff.head).toHaveLength(1)
  })

  it('names the compression of a tar and hands back every chunk it read', async () => {
    const plain = await plainTar(false)
    for (const [bytes, tar] of [[plain, 'none'], [gzipSync(plain), 'gzip'], [zstdCompressSync(plain), 'zstd']] as const) {
      const chunks = Array.from({ length: Math.ceil(bytes.length / 100) }, (_, i) => bytes.subarray(i * 100, i * 100 + 100))
      let i = 0
      const sniff = await sniffTar(async () => chunks[i++], 'x')
      expect(sniff.tar).toBe(tar)
      expect(Buffer.concat(sniff.head).equals(bytes.subarray(0, Buffer.concat(sniff.head).length))).toBe(true)
    }
  })
})
