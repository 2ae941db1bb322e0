/**
 * The hook queue: announcements the git hooks made, kept in `<dataDir>/hook-queue/` until a node
 * has announced them. One small file per entry, written atomically 0600; each is checked in full
 * (size, then zod) when read back. An entry that can never be announced is set aside in
 * `hook-queue/failed/` with its reason, never retried. The hook's background command and the node
 * both settle entries; the node's idempotent runs make a second announce of one entry harmless.
 * Imports no more than zod: the hook's command loads this on every commit.
 */
import { randomBytes } from 'node:crypto'
import { lstat, readFile, readdir, rm, stat, unlink } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { z } from 'zod'
import { writePrivateFile } from '../private-file.ts'

/** Largest entry file read back, in bytes; a real one is about 300. */
export const MAX_ENTRY_BYTES = 8 * 1024
/** An entry no node could announce within this long is set aside as expired (ms). */
export const MAX_ENTRY_AGE_MS = 7 * 24 * 3600_000
/** Most set-aside entries kept; the oldest go first. */
const MAX_FAILED = 200
/** A temp file older than this (ms) is left over from a write that never finished. */
const STALE_TEMP_MS = 3600_000

const ENTRY_NAME = /^\d{13}-[0-9a-f]{8}\.json$/

/** Whether `name` is a queue entry's file name (`<ms>-<8 hex>.json`), not a temp file or `failed/`. */
export const isEntryName = (name: string): boolean => ENTRY_NAME.test(name)

/** One announcement: the commit a hook saw and the ref it was on (`''`: detached). */
export const QueueEntry = z.strictObject({
  v: z.literal(1),
  dir: z.string().min(1).max(4096).refine(isAbsolute, 'an absolute path'),
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a full commit id'),
  ref: z.string().max(256),
  hook: z.enum(['post-commit', 'post-rewrite', 'post-receive']),
  queuedAt: z.number().int().min(0)
})
export type QueueEntry = z.infer<typeof QueueEntry>

/** How announcing an entry went. */
export type Outcome =
  | { kind: 'announced', run: string, existing: boolean }
  /** It can never be announced (not a repository any more, no or a bad .devq.yml): set aside. */
  | { kind: 'refused', reason: string, detail: string }
  /** Not now (no node, a node that cannot write yet): it stays queued. */
  | { kind: 'later', detail: string }

export const queueDir = (dataDir: string): string => join(dataDir, 'hook-queue')
export const failedDir = (dataDir: string): string => join(queueDir(dataDir), 'failed')

/**
 * Whether an error a node answered (by its `name` and `data.reason`, and the HTTP status when it
 * came over the API) means the entry can never be announced. RunError always does: the directory
 * is not a repository, the commit is gone, or its pipeline is missing or invalid.
 */
export function isPermanent (name: string, status?: number): boolean {
  return name === 'RunError' || (name === 'ApiRequestError' && status === 400)
}

/** Writes `entry` to the queue (0600, atomically); returns its file name. */
export async function enqueue (dataDir: string, entry: QueueEntry): Promise<string> {
  const name = `${String(entry.queuedAt).padStart(13, '0')}-${randomBytes(4).toString('hex')}.json`
  await writePrivateFile(join(queueDir(dataDir), name), JSON.stringify(entry) + '\n')
  return name
}

/** Names of the queued entries, oldest first; removes temp files an interrupted write left. */
export async function listQueued (dataDir: string, nowMs = Date.now()): Promise<string[]> {
  const names = await readdir(queueDir(dataDir)).catch(() => [] as string[])
  for (const n of names.filter((n) => n.endsWith('.tmp'))) {
    const path = join(queueDir(dataDir), n)
    const info = await stat(path).catch(() => undefined)
    if (info !== undefined && nowMs - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => {})
  }
  return names.filter((n) => ENTRY_NAME.test(n)).sort()
}

/** A queued entry read back and checked, or why it is not one; undefined when it is gone. */
export async function readQueued (dataDir: string, name: string): Promise<{ entry: QueueEntry } | { invalid: string } | undefined> {
  const path = join(queueDir(dataDir), name)
  const info = await lstat(path).catch(() => undefined)
  if (info === undefined) return undefined
  if (!info.isFile()) return { invalid: 'not a regular file' }
  if (info.size > MAX_ENTRY_BYTES) return { invalid: `${info.size} bytes, more than the ${MAX_ENTRY_BYTES} an entry may have` }
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { invalid: 'not JSON' }
  }
  const parsed = QueueEntry.safeParse(json)
  if (!parsed.success) return { invalid: parsed.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; ') }
  return { entry: parsed.data }
}

/** Takes an announced entry out of the queue (gone already is fine: the other settler took it). */
export async function dropQueued (dataDir: string, name: string): Promise<void> {
  await unlink(join(queueDir(dataDir), name)).catch(() => {})
}

/**
 * Moves an entry out of the queue into `failed/` as `{reason, detail, at, entry}` (the entry as
 * text, for one that was not valid), keeping the newest MAX_FAILED.
 */
export async function setAside (dataDir: string, name: string, reason: string, detail: string, nowMs = Date.now()): Promise<void> {
  const path = join(queueDir(dataDir), name)
  const info = await lstat(path).catch(() => undefined)
  if (info === undefined) return
  const text = info.isFile() && info.size <= MAX_ENTRY_BYTES ? await readFile(path, 'utf8').catch(() => '') : ''
  let entry: unknown = text
  try {
    entry = JSON.parse(text)
  } catch { /* kept as text */ }
  await writePrivateFile(join(failedDir(dataDir), name), JSON.stringify({ reason, detail: detail.slice(0, 4000), at: nowMs, entry }, null, 2) + '\n')
  // Whatever took the entry's name (a directory, say) leaves the queue too, or it is set aside forever.
  await (info.isDirectory() ? rm(path, { recursive: true, force: true }) : unlink(path)).catch(() => {})
  const failed = (await readdir(failedDir(dataDir)).catch(() => [] as string[])).filter((n) => ENTRY_NAME.test(n)).sort()
  for (const old of failed.slice(0, Math.max(0, failed.length - MAX_FAILED))) await unlink(join(failedDir(dataDir), old)).catch(() => {})
}

/** Acts on an outcome: drops an announced entry, sets a refused one aside, leaves the rest. */
export async function settle (dataDir: string, name: string, outcome: Outcome): Promise<void> {
  if (outcome.kind === 'announced') await dropQueued(dataDir, name)
  else if (outcome.kind === 'refused') await setAside(dataDir, name, outcome.reason, outcome.detail)
}
