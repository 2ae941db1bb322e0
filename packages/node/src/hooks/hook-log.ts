/**
 * `hooks.log` in the data dir: one JSON line per thing that happened to a hook's announcement.
 * The hook's shell lines and `devq hook announce` append `queued` (and `waiting`, `announced`, ...)
 * lines; the node appends the outcome of each entry it announces from the queue, so the file tells
 * a developer what became of every commit. Appends of one short line are atomic (O_APPEND), so
 * writers need no lock. Node builtins only: the hook's command loads this on every commit.
 */
import { appendFile, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** hooks.log moves to hooks.log.1 past this size (bytes). */
export const HOOK_LOG_MAX_BYTES = 1024 * 1024

export const hookLogPath = (dataDir: string): string => join(dataDir, 'hooks.log')

/** Moves hooks.log aside once it passed HOOK_LOG_MAX_BYTES (one old generation is kept). */
export async function rotateHookLog (dataDir: string): Promise<void> {
  const path = hookLogPath(dataDir)
  const size = (await stat(path).catch(() => undefined))?.size ?? 0
  if (size > HOOK_LOG_MAX_BYTES) await rename(path, `${path}.1`).catch(() => {})
}

/** Appends one line `{time, ...fields}` (created 0600); a log that cannot be written is skipped. */
export async function appendHookLog (dataDir: string, fields: Record<string, unknown>): Promise<void> {
  await appendFile(hookLogPath(dataDir), JSON.stringify({ time: new Date().toISOString(), ...fields }) + '\n', { mode: 0o600 }).catch(() => {})
}
