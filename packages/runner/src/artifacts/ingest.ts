/**
 * Writing one blob into the store's ingest directory: a temp file written while hashing, checked
 * against what the caller expects, fsynced. Only the store calls this; it then renames the file.
 */
import { createHash, randomUUID } from 'node:crypto'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { digestOf } from './digest.ts'
import { artifactError } from './refusal.ts'

/** What a put may be told to expect; a mismatch refuses the blob. */
export interface BlobExpectation {
  digest: string
  size: number
}

/** A content-addressed blob: its digest and its size in bytes. */
export interface BlobInfo {
  digest: string
  size: number
}

/** A finished temp file, not yet in the store. */
export interface IngestedTemp extends BlobInfo {
  tmp: string
}

/**
 * The name of a temp file: the writer's pid (so a later process can tell a crashed writer's leftovers
 * from a live one's) and a random part.
 */
export function ingestName (pid: number = process.pid): string {
  return `${pid}-${randomUUID()}.part`
}

/** The pid in a temp file's name, or undefined for a name this module did not make. */
export function ingestPid (name: string): number | undefined {
  const m = /^(\d{1,10})-[0-9a-f-]{36}\.part$/.exec(name)
  return m === null ? undefined : Number(m[1])
}

function sizeError (expect: BlobExpectation, got: number, whole: boolean): Error {
  const detail = whole ? `is ${got} bytes, expected ${expect.size}` : `is over the expected ${expect.size} bytes`
  return artifactError(expect.digest, 'size_mismatch', detail, undefined, { retryable: true })
}

async function writeAll (handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let off = 0
  while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten
}

/**
 * Streams `source` into a new temp file in `ingestDir`, hashing as it writes, then fsyncs it. With
 * `expect`, stops as soon as the size is exceeded and refuses a short or different content
 * (`size_mismatch`, `digest_mismatch`). On any failure, including one thrown by `source`, the temp
 * file is removed and the error rethrown. `name` is the temp file's name in `ingestDir`.
 */
export async function ingestToTemp (ingestDir: string, source: AsyncIterable<Uint8Array>, expect?: BlobExpectation, name: string = ingestName()): Promise<IngestedTemp> {
  const tmp = join(ingestDir, name)
  const handle = await open(tmp, 'wx', 0o600)
  let closed = false
  try {
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of source) {
      size += chunk.length
      if (expect !== undefined && size > expect.size) throw sizeError(expect, size, false)
      hash.update(chunk)
      await writeAll(handle, chunk)
    }
    await handle.sync()
    closed = true
    await handle.close()
    const digest = digestOf(hash)
    if (expect !== undefined && size !== expect.size) throw sizeError(expect, size, true)
    if (expect !== undefined && digest !== expect.digest) {
      throw artifactError(expect.digest, 'digest_mismatch', `content hashes to ${digest}`, undefined, { retryable: true })
    }
    return { tmp, digest, size }
  } catch (err) {
    if (!closed) await handle.close().catch(() => {})
    await rm(tmp, { force: true })
    throw err
  }
}

/** Fsyncs a directory, so a rename into it survives a crash. */
export async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
