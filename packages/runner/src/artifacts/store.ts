/**
 * The content-addressed artifact store of one peer. Only this module knows its layout:
 *
 *   <dir>/blobs/sha256/<hex>          finished blobs, read-only; the file's mtime is its last use
 *   <dir>/ingest/<pid>-<uuid>.part    blobs being written (removed on failure, or by a later open)
 *
 * A blob appears only whole: it is written and fsynced under `ingest/`, checked, renamed into
 * `blobs/sha256/` and the directory fsynced. Blob names are digests checked by `digestHex`; artifact
 * names never become paths. One store object per directory per process; several processes sharing
 * one directory stay safe for puts (renames of equal content), but each cleans the others' temp files
 * only once their writer's pid is gone.
 */
import { createReadStream } from 'node:fs'
import { chmod, lstat, mkdir, readdir, rename, rm, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { systemClock, type Clock, type Logger } from '@devq/core'
import { digestHex, isDigest } from './digest.ts'
import { ingestPid, ingestToTemp, syncDir, type BlobExpectation, type BlobInfo } from './ingest.ts'
import { createKeyedLock } from './keyed-lock.ts'
import { READ_CHUNK_BYTES, STALE_INGEST_MS } from './limits.ts'
import { artifactError } from './refusal.ts'
import { planEviction, type BlobUse } from './retention.ts'

export type { BlobExpectation, BlobInfo } from './ingest.ts'

/** What `evict` removed. */
export interface EvictResult {
  removed: string[]
  freedBytes: number
}

/** What the store holds. */
export interface StoreUsage {
  bytes: number
  blobs: number
}

/**
 * A peer's artifact blobs by digest. Every method may be called concurrently; puts of one digest are
 * serialized by a lock on that digest, and a put of a digest already held succeeds without change.
 * The store knows no artifact names: its ArtifactErrors carry the digest as `artifact`.
 */
export interface ArtifactStore {
  /** Stores the bytes of a local file (see `putStream`). */
  putFile(path: string, expect?: BlobExpectation): Promise<BlobInfo>
  /**
   * Stores the bytes of `source`. With `expect`, stops as soon as more bytes arrive than expected and
   * refuses other content (`size_mismatch`, `digest_mismatch`); nothing is left behind on failure.
   * Idempotent: an existing digest is success, and counts as a use.
   */
  putStream(source: AsyncIterable<Uint8Array>, expect?: BlobExpectation): Promise<BlobInfo>
  /** Whether the blob is held; false for a malformed digest. */
  has(digest: string): Promise<boolean>
  /** Where a blob is (or would be) on disk, for readers. Throws ArtifactError for a malformed digest. */
  path(digest: string): string
  /** A held blob's size in bytes, or undefined. */
  size(digest: string): Promise<number | undefined>
  /** The blob's bytes in chunks; iterating throws ArtifactError `not_found` when it is not held. */
  open(digest: string): AsyncIterable<Uint8Array>
  /** Marks the blob as used now (for eviction order). No-op when it is not held. */
  touch(digest: string): Promise<void>
  /**
   * Removes least-recently-used blobs until the total is within the budget, never one in `pinned`
   * (digests) and never one used since the scan began. Also removes temp files of crashed writers.
   */
  evict(options: { pinned: ReadonlySet<string> }): Promise<EvictResult>
  /** Total bytes and count of held blobs (temp files not included). */
  usage(): Promise<StoreUsage>
}

/** Options of `createArtifactStore`. */
export interface ArtifactStoreInit {
  /** The store's directory; created if missing. */
  dir: string
  /** Eviction brings the total of blobs down to this many bytes. */
  budgetBytes: number
  logger: Logger
  /** Source of use times; the wall clock by default (use times survive restarts as file mtimes). */
  clock?: Clock
}

function isMissing (err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The store's two directories and the use clock: the parts every operation below shares. */
interface Layout {
  blobs: string
  ingest: string
  logger: Logger
  /** A use time in ms, strictly increasing within this process so uses never tie. */
  stamp: () => number
}

function layoutOf (init: ArtifactStoreInit): Layout {
  const clock = init.clock ?? systemClock
  let last = 0
  return {
    blobs: join(init.dir, 'blobs', 'sha256'),
    ingest: join(init.dir, 'ingest'),
    logger: init.logger.child({ component: 'artifact-store' }),
    stamp: () => {
      last = Math.max(Math.floor(clock.wallMs()), last + 1)
      return last
    }
  }
}

async function markUsed (layout: Layout, file: string): Promise<void> {
  const t = layout.stamp() / 1000
  await utimes(file, t, t)
}

async function cleanIngest (layout: Layout): Promise<void> {
  const names = await readdir(layout.ingest)
  const now = Date.now()
  for (const name of names) {
    const file = join(layout.ingest, name)
    const pid = ingestPid(name)
    const st = await lstat(file).catch(() => undefined)
    if (st === undefined) continue
    const orphaned = pid === undefined || (pid !== process.pid && !processAlive(pid))
    if (!orphaned && now - st.mtimeMs < STALE_INGEST_MS) continue
    await rm(file, { force: true, recursive: true })
    layout.logger.warn({ file, bytes: st.size }, 'removed an unfinished blob left by an earlier writer')
  }
}

async function scanBlobs (layout: Layout): Promise<BlobUse[]> {
  const entries = await readdir(layout.blobs, { withFileTypes: true })
  const out: BlobUse[] = []
  for (const e of entries) {
    if (!/^[0-9a-f]{64}$/.test(e.name) || !e.isFile()) continue
    const st = await lstat(join(layout.blobs, e.name)).catch(() => undefined)
    if (st?.isFile() === true) out.push({ digest: `sha256:${e.name}`, size: st.size, usedAt: st.mtimeMs })
  }
  return out
}

async function statBlob (file: string): Promise<number | undefined> {
  try {
    const st = await lstat(file)
    return st.isFile() ? st.size : undefined
  } catch (err) {
    if (isMissing(err)) return undefined
    throw err
  }
}

/**
 * Moves a checked temp file into place, under the digest's lock. Read-only before the rename, so a
 * blob is never seen writable; an existing blob wins and the temp file is dropped.
 */
async function commit (layout: Layout, tmp: string, digest: string): Promise<'stored' | 'existed'> {
  const target = join(layout.blobs, digestHex(digest))
  if ((await statBlob(target)) !== undefined) {
    await rm(tmp, { force: true })
    await markUsed(layout, target).catch(() => {})
    return 'existed'
  }
  try {
    await chmod(tmp, 0o444)
    await rename(tmp, target)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDir(layout.blobs)
  await markUsed(layout, target)
  return 'stored'
}

async function * readBlob (file: string, digest: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) yield chunk as Buffer
  } catch (err) {
    if (isMissing(err)) throw artifactError(digest, 'not_found', 'is not held by this peer', undefined, { cause: err })
    throw err
  }
}

/**
 * Creates the store over `init.dir`. Returns at once; the directories are created and leftover
 * temp files of crashed writers removed before the first operation completes.
 */
export function createArtifactStore (init: ArtifactStoreInit): ArtifactStore {
  const layout = layoutOf(init)
  const lock = createKeyedLock()
  const ready = (async () => {
    await mkdir(layout.blobs, { recursive: true })
    await mkdir(layout.ingest, { recursive: true })
    await cleanIngest(layout)
  })()
  ready.catch(() => {})
  const blobFile = (digest: string): string => join(layout.blobs, digestHex(digest))

  const putStream = async (source: AsyncIterable<Uint8Array>, expect?: BlobExpectation): Promise<BlobInfo> => {
    if (expect !== undefined) digestHex(expect.digest)
    await ready
    const temp = await ingestToTemp(layout.ingest, source, expect)
    const outcome = await lock.run(temp.digest, async () => await commit(layout, temp.tmp, temp.digest))
    layout.logger.debug({ digest: temp.digest, bytes: temp.size, outcome }, 'blob put')
    return { digest: temp.digest, size: temp.size }
  }

  return {
    putStream,
    putFile: async (path, expect) => await putStream(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }), expect),
    has: async (digest) => isDigest(digest) && (await statBlob(blobFile(digest))) !== undefined,
    path: blobFile,
    size: async (digest) => isDigest(digest) ? await statBlob(blobFile(digest)) : undefined,
    open: (digest) => readBlob(blobFile(digest), digest),
    touch: async (digest) => {
      const file = blobFile(digest)
      await lock.run(digest, async () => { await markUsed(layout, file).catch((err: unknown) => { if (!isMissing(err)) throw err }) })
    },
    evict: async ({ pinned }) => {
      await ready
      await cleanIngest(layout)
      return await evictBlobs(layout, lock, init.budgetBytes, pinned)
    },
    usage: async () => {
      await ready
      const blobs = await scanBlobs(layout)
      return { bytes: blobs.reduce((n, b) => n + b.size, 0), blobs: blobs.length }
    }
  }
}

async function evictBlobs (layout: Layout, lock: ReturnType<typeof createKeyedLock>, budgetBytes: number, pinned: ReadonlySet<string>): Promise<EvictResult> {
  const blobs = await scanBlobs(layout)
  const removed: string[] = []
  let freedBytes = 0
  for (const victim of planEviction(blobs, budgetBytes, pinned)) {
    const file = join(layout.blobs, digestHex(victim.digest))
    await lock.run(victim.digest, async () => {
      const st = await lstat(file).catch(() => undefined)
      // Used (touched or put again) since the scan: keep it.
      if (st === undefined || st.mtimeMs !== victim.usedAt) return
      await rm(file, { force: true })
      removed.push(victim.digest)
      freedBytes += victim.size
    })
  }
  if (removed.length > 0) {
    await syncDir(layout.blobs)
    layout.logger.info({ removed: removed.length, freedBytes, budgetBytes }, 'evicted least recently used artifacts')
  }
  return { removed, freedBytes }
}
