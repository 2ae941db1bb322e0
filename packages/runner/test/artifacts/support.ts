/**
 * Shared set-up for the artifact tests: temp directories removed after each test, a store over a
 * temp directory, and small file and hash utilities.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { silentLogger } from '@devq/core'
import { createArtifactStore, type ArtifactStore } from '../../src/artifacts/store.ts'

const made: string[] = []

afterEach(async () => {
  // A store makes its directories in the background; a test whose calls were all refused
  // before that finished ends while it goes on, and a plain rm then meets a directory just made.
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true, maxRetries: 5 })
})

/** A fresh temp directory, removed after the current test. */
export async function tempDir (prefix = 'devq-artifacts-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A store in a fresh temp directory. */
export async function tempStore (budgetBytes = 1024 * 1024 * 1024): Promise<{ store: ArtifactStore, dir: string }> {
  const dir = await tempDir('devq-store-')
  return { store: createArtifactStore({ dir, budgetBytes, logger: silentLogger }), dir }
}

/** The `sha256:<hex>` digest of `bytes`. */
export function sha256 (bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** All bytes of an async iterable. */
export async function readAll (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of source) parts.push(Buffer.from(chunk))
  return Buffer.concat(parts)
}

/** Names in a store's blob and ingest directories (what a failure could leave behind). */
export async function storeFiles (dir: string): Promise<{ blobs: string[], ingest: string[] }> {
  const list = async (d: string): Promise<string[]> => await readdir(d).catch(() => [])
  return { blobs: await list(join(dir, 'blobs', 'sha256')), ingest: await list(join(dir, 'ingest')) }
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection (promise: Promise<unknown>): Promise<Error & { data?: Record<string, unknown> }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { data?: Record<string, unknown> }
  }
  throw new Error('expected a rejection, but it resolved')
}
