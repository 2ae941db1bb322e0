/**
 * Files of the data dir that hold secrets (team.json holds the team key, api.token the API's
 * bearer token), and every file DevQ writes there: read only when no one but the owner has any
 * access, as ssh does with private keys; written 0600 from the first byte.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Mode bits that give group or others any access. */
const OPEN_BITS = 0o077

/**
 * What is wrong with a secret file of mode `mode` at `path`, or undefined when only its owner may
 * access it. The message names the file, what it holds and the fix.
 */
export function tooOpen (path: string, mode: number, holds: string): string | undefined {
  if ((mode & OPEN_BITS) === 0) return undefined
  const octal = (mode & 0o777).toString(8).padStart(4, '0')
  return `permissions ${octal} of ${path} are too open: it holds ${holds}, so group and others must have no access; run chmod 600 ${path}`
}

/**
 * The bytes of the secret file `path`, or undefined when there is none. Throws `refuse(message, detail)`
 * when group or others may access it (see `tooOpen`) or it is larger than `maxBytes`; other read
 * failures are thrown as they come. The mode is checked on the opened file, so it is the file read.
 */
export async function readPrivateFile (path: string, holds: string, maxBytes: number, refuse: (message: string, detail: 'permissions' | 'too large') => Error): Promise<Buffer | undefined> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const info = await handle.stat()
    const problem = tooOpen(path, info.mode, holds)
    if (problem !== undefined) throw refuse(problem, 'permissions')
    if (info.size > maxBytes) throw refuse(`${path} is ${info.size} bytes, more than the ${maxBytes} it may have`, 'too large')
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/**
 * Writes `data` to `path` atomically and readable by this user only: a new temp file beside it
 * (created 0600) renamed over it, so no reader ever sees a partial or more open file. Creates the
 * directory 0700 when it is missing.
 */
export async function writePrivateFile (path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFileAtomically(path, data, 0o600)
}

/**
 * Writes `data` to `path` through a new temp file beside it, created with `mode`, synced and
 * renamed over `path`: a reader sees the old file or the new one, never a part. The directory
 * must exist.
 */
export async function writeFileAtomically (path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(tmp, 'wx', mode)
  try {
    try {
      await handle.chmod(mode)
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}
