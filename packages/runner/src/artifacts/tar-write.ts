/**
 * Deterministic tar: the same files with the same content and modes give the same bytes, whenever
 * and wherever they are packed. Entries are sorted by name, carry relative names only, a fixed
 * mtime, no owner, and the portable mode (0644 or 0755). Headers are node-tar's (`Header`, and a
 * `Pax` header for long or non-ASCII names); the bodies are read here from already-opened, checked
 * files, so the bytes packed are exactly the bytes that were checked.
 */
import { Header, Pax } from 'tar'
import type { OpenedFile } from './workspace-files.ts'

/** The mtime of every entry: 2000-01-01T00:00:00Z. */
export const TAR_MTIME = new Date(Date.UTC(2000, 0, 1))

const BLOCK = 512

/** One file to pack: its entry name and how to open it (opened only when its turn comes). */
export interface TarSource {
  name: string
  open(): Promise<OpenedFile>
}

/** node-tar's portable mode: owner read/write always, no group or other write. */
export function portableMode (mode: number): number {
  return ((mode & 0o7777) | 0o600) & ~0o22 & 0o777
}

/** The header block(s) of one regular file entry. */
export function fileHeader (name: string, size: number, mode: number): Buffer {
  const header = new Header({
    path: name, mode: portableMode(mode), uid: 0, gid: 0, size, mtime: TAR_MTIME, type: 'File', uname: '', gname: ''
  })
  const needPax = header.encode()
  const block = header.block
  if (block === undefined) throw new Error(`tar header for ${name} could not be encoded`)
  if (!needPax) return block
  const pax = new Pax({ path: name, size, mtime: TAR_MTIME }).encode()
  return Buffer.concat([pax, block])
}

/** Zero bytes that pad `size` up to a whole block. */
function padding (size: number): Buffer {
  const rest = size % BLOCK
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest)
}

/**
 * Streams a tar of `sources`, sorted by name, opening one file at a time. Each file's body is
 * exactly the size it had when opened (its reader refuses a file that shrinks).
 */
export async function * deterministicTar (sources: readonly TarSource[]): AsyncGenerator<Uint8Array> {
  const sorted = [...sources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const source of sorted) {
    const file = await source.open()
    try {
      yield fileHeader(source.name, file.size, file.mode)
      for await (const chunk of file.chunks()) yield chunk
      const pad = padding(file.size)
      if (pad.length > 0) yield pad
    } finally {
      await file.close()
    }
  }
  yield Buffer.alloc(2 * BLOCK)
}
