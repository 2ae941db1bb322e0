/** Opening the LevelDB store, and turning its failures into errors a user can act on. */
import { existsSync } from 'node:fs'
import { readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { AbstractLevel } from 'abstract-level'
import { ClassicLevel } from 'classic-level'
import { LedgerCorruptError, LedgerLockedError } from '../errors.ts'
import { FORMAT_VERSION, META_KEY } from './keys.ts'

/** Keys are Buffers (keys.ts builds them); values are views over the stored bytes. */
export type LedgerDb = AbstractLevel<string | Buffer | Uint8Array, Buffer, Uint8Array>

/**
 * The database port: makes an unopened abstract-level database for a store directory, with
 * Buffer keys and view values. The default is LevelDB on disk (classic-level).
 */
export type OpenDatabase = (path: string) => LedgerDb

/**
 * Write options: `sync` asks classic-level to fsync before it answers; other abstract-level
 * databases ignore options they do not know, so it is passed through untyped.
 */
export function writeOptions (sync: boolean): object {
  return { sync }
}

/** LevelDB on disk. */
export const openClassicLevel: OpenDatabase = (path) => new ClassicLevel<Buffer, Uint8Array>(path, {
  keyEncoding: 'buffer',
  valueEncoding: 'view',
  // A ledger is read back whole at open and then served from the fold: LevelDB's own caches
  // (8 MiB block cache, 4 MiB write buffer by default) mostly cost resident memory.
  cacheSize: 2 * 1024 * 1024,
  writeBufferSize: 2 * 1024 * 1024
})

/** The command-line flag that moves a corrupt store aside. */
export const REBUILD_FLAG = '--rebuild-ledger'

interface Meta {
  format: number
  /** Set once corruption was found, so a later open cannot silently continue with what LevelDB kept. */
  corrupt?: string
}

/** The error for a store that cannot be trusted, telling the user how to recover. */
export function corruptError (path: string, detail: string, cause?: unknown): LedgerCorruptError {
  return new LedgerCorruptError(
    `ledger store at ${path} is corrupt: ${detail}. Every event in it that reached another peer is held ` +
    `there too: restart with ${REBUILD_FLAG} to move it aside and refill it by sync (a peer alone in its team ` +
    'has no one to refill it from)',
    { path, detail, rebuildFlag: REBUILD_FLAG },
    { cause }
  )
}

function levelCode (err: unknown): string | undefined {
  const e = err as { code?: unknown, cause?: { code?: unknown } }
  const code = e.cause?.code ?? e.code
  return typeof code === 'string' ? code : undefined
}

/** Whether an error from LevelDB reports corrupt data. */
export function isCorruption (err: unknown): boolean {
  return levelCode(err) === 'LEVEL_CORRUPTION'
}

/**
 * Moves a store aside to `<path>.corrupt-<time>` (UTC, file-name safe) and returns the new path,
 * or undefined if there was nothing at `path`. The caller must not have the store open.
 */
export async function moveStoreAside (path: string, nowMs: number = Date.now()): Promise<string | undefined> {
  if (!existsSync(path)) return undefined
  const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-')
  let target = `${path}.corrupt-${stamp}`
  for (let n = 1; existsSync(target); n++) target = `${path}.corrupt-${stamp}-${n}`
  await rename(path, target)
  return target
}

/**
 * Opens (or creates) the store. Throws LedgerLockedError if another process holds it and
 * LedgerCorruptError if LevelDB reports corruption, dropped damaged log records while recovering,
 * lost its meta record, or an earlier open marked it corrupt.
 */
export async function openStore (path: string, openDatabase: OpenDatabase = openClassicLevel): Promise<LedgerDb> {
  const existed = existsSync(join(path, 'CURRENT'))
  const db = openDatabase(path)
  try {
    await db.open({ createIfMissing: true })
  } catch (err) {
    const code = levelCode(err)
    if (code === 'LEVEL_LOCKED') {
      throw new LedgerLockedError(`ledger store at ${path} is locked by another process (is another devq node running on this data directory?)`, { path }, { cause: err, retryable: true })
    }
    if (code === 'LEVEL_CORRUPTION') throw corruptError(path, (err as { cause?: Error }).cause?.message ?? String(err), err)
    throw err
  }
  try {
    await checkMeta(db, path, existed)
  } catch (err) {
    await db.close().catch(() => {})
    throw err
  }
  return db
}

async function checkMeta (db: LedgerDb, path: string, existed: boolean): Promise<void> {
  // LevelDB skips damaged log records on recovery and only says so in its info log.
  const dropped = await recoveryCorruption(path)
  if (dropped !== undefined) {
    await markCorrupt(db, path, `LevelDB dropped damaged records on recovery (${dropped})`)
  }
  const raw = await db.get(META_KEY).catch((err: unknown) => {
    if (isCorruption(err)) throw corruptError(path, 'meta record unreadable', err)
    throw err
  })
  if (raw === undefined) {
    if (existed) throw corruptError(path, 'the store exists but its meta record is missing')
    await db.put(META_KEY, Buffer.from(JSON.stringify({ format: FORMAT_VERSION } satisfies Meta)), writeOptions(true))
    return
  }
  let meta: Meta
  try {
    meta = JSON.parse(Buffer.from(raw).toString('utf8')) as Meta
  } catch (err) {
    throw corruptError(path, 'meta record is not JSON', err)
  }
  if (typeof meta.corrupt === 'string') throw corruptError(path, meta.corrupt)
  if (meta.format !== FORMAT_VERSION) {
    throw corruptError(path, `store format ${String(meta.format)}, this version reads format ${FORMAT_VERSION}`)
  }
}

async function recoveryCorruption (path: string): Promise<string | undefined> {
  let log: string
  try {
    log = await readFile(join(path, 'LOG'), 'utf8')
  } catch {
    return undefined
  }
  const line = log.split('\n').find((l) => l.includes('Corruption:'))
  return line?.slice(line.indexOf('Corruption:')).trim()
}

/**
 * Records in the store that it is corrupt (best effort), so the next open refuses it too instead
 * of starting from whatever LevelDB salvaged, then throws the LedgerCorruptError for `detail`.
 */
export async function markCorrupt (db: LedgerDb, path: string, detail: string): Promise<never> {
  await db.put(META_KEY, Buffer.from(JSON.stringify({ format: FORMAT_VERSION, corrupt: detail } satisfies Meta)), writeOptions(true)).catch(() => {})
  throw corruptError(path, detail)
}
