import { randomBytes } from 'node:crypto'
import { rename, rm, symlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ApiTokenError } from './errors.ts'
import { runtimeFile, type NodeDirs } from './paths.ts'
import { readPrivateFile, writePrivateFile } from './private-file.ts'
import { ApiToken, runtimePath, tokenPath, type RuntimeInfo } from './runtime-file.ts'

export { apiSocketIn, apiSocketPath, readRuntime, RuntimeInfo, runtimePath, tokenPath } from './runtime-file.ts'

/**
 * The token in `<dataDir>/api.token`, or undefined when there is none or it is not a token.
 * Throws ApiTokenError (`permissions`) when group or others may access the file.
 */
export async function readApiToken (dataDir: string): Promise<string | undefined> {
  const path = tokenPath(dataDir)
  let bytes: Buffer | undefined
  try {
    bytes = await readPrivateFile(path, 'the control API\'s bearer token', 1024, (message, detail) => new ApiTokenError(message, { path, detail }))
  } catch (err) {
    if (err instanceof ApiTokenError) throw err
    throw new ApiTokenError(`cannot read ${path}: ${(err as Error).message}`, { path, detail: 'unreadable' }, { cause: err })
  }
  const parsed = ApiToken.safeParse(bytes?.toString('utf8').trim())
  return parsed.success ? parsed.data : undefined
}

/** The control API's bearer token: created once (0600), kept across restarts; a malformed one is replaced. */
export async function loadOrCreateToken (dataDir: string): Promise<string> {
  const existing = await readApiToken(dataDir)
  if (existing !== undefined) return existing
  const token = randomBytes(32).toString('hex')
  await writePrivateFile(tokenPath(dataDir), token + '\n')
  return token
}

/**
 * Records how to reach the running node (0600, replaced atomically) in its runtime dir, and links
 * it from the data dir when that is elsewhere.
 */
export async function writeRuntime (dirs: NodeDirs, info: RuntimeInfo): Promise<void> {
  const file = runtimeFile(dirs)
  await writePrivateFile(file, JSON.stringify(info, null, 2) + '\n')
  if (resolve(dirs.runtimeDir) === resolve(dirs.dataDir)) return
  const link = runtimePath(dirs.dataDir)
  const tmp = `${link}.${randomBytes(6).toString('hex')}.tmp`
  await symlink(file, tmp)
  await rename(tmp, link).catch(async (err: unknown) => { await rm(tmp, { force: true }); throw err })
}

/** Removes what writeRuntime wrote. Idempotent. */
export async function removeRuntime (dirs: NodeDirs): Promise<void> {
  await rm(runtimePath(dirs.dataDir), { force: true })
  await rm(runtimeFile(dirs), { force: true })
}
