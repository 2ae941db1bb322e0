/**
 * Reading and writing one hook file for install and uninstall: refuses what DevQ must not edit
 * (a symbolic link, a file git does not run, one that is not a shell script), and writes through
 * a temp file renamed over the hook, with the hook's own mode, so git never runs a half-written
 * hook and the hook stays executable.
 */
import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { HookError } from '../errors.ts'
import { refusalFor, withBlock, withoutBlock, type BlockChange, type UnblockChange } from './blocks.ts'

/** Largest hook file DevQ edits (bytes). */
const MAX_HOOK_BYTES = 1024 * 1024
/** Mode of a hook file DevQ creates. */
const NEW_HOOK_MODE = 0o755

/** A hook file as found: its text and mode, or nothing there. */
export type FoundHook = { text: string, mode: number } | undefined

/** What would have to change in a refused hook, in words a user can act on. */
function advice (path: string): string {
  const orig = `${basename(path)}.orig`
  return `nothing was changed. To keep it and build on the grid too: mv ${path} ${path}.orig, run devq hook install again, and add this line to the new ${basename(path)}: "$(dirname "$0")/${orig}" "$@"`
}

/**
 * The hook file at `path` for editing; undefined when there is none. Throws HookError when it is a
 * symbolic link or not a regular file, too large or not UTF-8 text, or (with `forInstall`) not executable.
 */
export async function readHook (path: string, forInstall: boolean): Promise<FoundHook> {
  const info = await lstat(path).catch(() => undefined)
  if (info === undefined) return undefined
  if (info.isSymbolicLink()) throw new HookError(`${path} is a symbolic link: DevQ does not edit the file it points to; ${advice(path)}`, { reason: 'symlink', path, detail: 'symbolic link' })
  if (!info.isFile()) throw new HookError(`${path} is not a regular file`, { reason: 'not_a_file', path, detail: 'not a regular file' })
  if (info.size > MAX_HOOK_BYTES) throw new HookError(`${path} is ${info.size} bytes; DevQ edits hooks of at most ${MAX_HOOK_BYTES}`, { reason: 'too_large', path, detail: String(info.size) })
  if (forInstall && (info.mode & 0o111) === 0) {
    throw new HookError(`${path} exists but is not executable, so git does not run it, and DevQ will not start running it by adding lines: make it executable (chmod +x ${path}) if it should run, or move it away, then run devq hook install again`, { reason: 'not_executable', path, detail: (info.mode & 0o777).toString(8) })
  }
  const bytes = await readFile(path)
  const text = bytes.toString('utf8')
  // Written back as UTF-8, other bytes would change: such a file is left as it is.
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw new HookError(`${path} is not UTF-8 text; ${advice(path)}`, { reason: 'binary', path, detail: 'not UTF-8 text' })
  return { text, mode: info.mode & 0o7777 }
}

/** Writes `text` to `path` atomically with `mode` (the directory is created when missing). */
async function writeHook (path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = join(dirname(path), `.${basename(path)}.devq-${randomBytes(4).toString('hex')}`)
  const handle = await open(tmp, 'wx', 0o700)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await chmod(tmp, mode)
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}

/** Throws HookError when an existing hook cannot take DevQ's lines (see `refusalFor`). */
export function checkHook (path: string, found: FoundHook): void {
  if (found === undefined) return
  const refusal = refusalFor(found.text)
  if (refusal === undefined) return
  const what = refusal.reason === 'damaged_block' ? `its DevQ block is damaged (${refusal.detail}): remove the devq lines by hand, then run devq hook install again` : `${refusal.detail}; DevQ adds its lines only to shell scripts, so ${advice(path)}`
  throw new HookError(`${path}: ${what}`, { reason: refusal.reason, path, detail: refusal.detail })
}

/** Adds or updates DevQ's block in the (checked) hook at `path`. */
export async function putBlock (path: string, found: FoundHook, body: string, at: 'top' | 'end'): Promise<BlockChange> {
  const { text, change } = withBlock(found?.text, body, at)
  if (change !== 'unchanged') await writeHook(path, text, found?.mode ?? NEW_HOOK_MODE)
  return change
}

/**
 * Takes DevQ's block out of the hook at `path`, deleting the file when nothing else is left.
 * Lines inside the block that `foreign` says DevQ did not write stay in the file; `kept` lists them.
 */
export async function takeBlock (path: string, found: FoundHook, foreign?: (inner: string[]) => string[]): Promise<{ change: UnblockChange, kept?: string[] }> {
  if (found === undefined) return { change: 'absent' }
  const result = withoutBlock(found.text, foreign)
  if ('reason' in result) throw new HookError(`${path}: its DevQ block is damaged (${result.detail}): remove the devq lines by hand`, { reason: result.reason, path, detail: result.detail })
  if (result.change === 'deleted') await unlink(path)
  else if (result.change === 'removed') await writeHook(path, result.text!, found.mode)
  return result.kept === undefined ? { change: result.change } : { change: result.change, kept: result.kept }
}
