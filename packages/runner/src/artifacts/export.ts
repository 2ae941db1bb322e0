/**
 * Copying a stored artifact out to a path of the user's choosing (what `devq pull -o DIR` does):
 * written to a temp file beside the target, verified against its digest while it is copied (so a
 * blob damaged on disk is not handed out), fsynced, then renamed over the target. A reader of the
 * target sees the old file or the whole new one, never a part.
 */
import { chmod, rename, rm } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { ArtifactKind } from '@devq/core'
import { digestHex } from './digest.ts'
import { ingestToTemp, syncDir, type BlobInfo } from './ingest.ts'
import { artifactError } from './refusal.ts'
import type { ArtifactStore } from './store.ts'

/** Options of `exportArtifact`. */
export interface ExportOptions {
  /** A `binary` is made executable (0755); other kinds are 0644. */
  kind?: ArtifactKind
}

/**
 * Copies blob `digest` from `store` to the file `toPath` (replaced if it exists; its directory must
 * exist). Idempotent. Concurrent exports to one path are safe: the last rename wins, each whole.
 * @throws {ArtifactError} `not_found` when the store does not hold it, `digest_mismatch` when the
 * stored bytes no longer match their digest.
 */
export async function exportArtifact (store: ArtifactStore, digest: string, toPath: string, options: ExportOptions = {}): Promise<BlobInfo> {
  digestHex(digest)
  const size = await store.size(digest)
  if (size === undefined) throw artifactError(digest, 'not_found', 'is not held by this peer')
  const target = resolve(toPath)
  const dir = dirname(target)
  const temp = await ingestToTemp(dir, store.open(digest), { digest, size }, `.${basename(target)}.${randomUUID()}.part`)
  try {
    await chmod(temp.tmp, options.kind === 'binary' ? 0o755 : 0o644)
    await rename(temp.tmp, target)
  } catch (err) {
    await rm(temp.tmp, { force: true })
    throw err
  }
  await syncDir(dir)
  return { digest, size }
}
