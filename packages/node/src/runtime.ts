import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { ApiTokenError } from './errors.ts'
import { readPrivateFile, writePrivateFile } from './private-file.ts'
import { ApiToken, runtimePath, tokenPath, type RuntimeInfo } from './runtime-file.ts'

export { readRuntime, RuntimeInfo, runtimePath, tokenPath } from './runtime-file.ts'

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

/** Records how to reach the running node (0600, replaced atomically). */
export async function writeRuntime (dataDir: string, info: RuntimeInfo): Promise<void> {
  await writePrivateFile(runtimePath(dataDir), JSON.stringify(info, null, 2) + '\n')
}

export async function removeRuntime (dataDir: string): Promise<void> {
  await rm(runtimePath(dataDir), { force: true })
}
