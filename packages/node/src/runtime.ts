import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ApiTokenError } from './errors.ts'
import { readPrivateFile, writePrivateFile } from './private-file.ts'

/** Where a running node says how to reach it; removed on a clean stop. */
export const runtimePath = (dataDir: string): string => join(dataDir, 'node.json')
export const tokenPath = (dataDir: string): string => join(dataDir, 'api.token')
/**
 * The control API's unix socket: in the node's runtime directory (the data dir), 0600. The one
 * place that names it, for the daemon and the client alike.
 */
export const apiSocketPath = (dataDir: string): string => join(dataDir, 'api.sock')

export const RuntimeInfo = z.strictObject({
  pid: z.number().int(),
  peerId: z.string().max(128),
  api: z.string().url().max(256),
  addresses: z.array(z.string().max(512)).max(64),
  startedAt: z.number().int()
})
export type RuntimeInfo = z.infer<typeof RuntimeInfo>

/** The control API's bearer token as api.token holds it: 32 random bytes in hex. */
const ApiToken = z.string().regex(/^[0-9a-f]{64}$/)

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

export async function readRuntime (dataDir: string): Promise<RuntimeInfo | undefined> {
  try {
    const text = await readFile(runtimePath(dataDir), 'utf8')
    if (text.length > 64 * 1024) return undefined
    const parsed = RuntimeInfo.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

export async function removeRuntime (dataDir: string): Promise<void> {
  await rm(runtimePath(dataDir), { force: true })
}
