import { randomBytes } from 'node:crypto'
import { chmod, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'

/** Where a running node says how to reach it; removed on a clean stop. */
export const runtimePath = (dataDir: string): string => join(dataDir, 'node.json')
export const tokenPath = (dataDir: string): string => join(dataDir, 'api.token')

export const RuntimeInfo = z.strictObject({
  pid: z.number().int(),
  peerId: z.string().max(128),
  api: z.string().url().max(256),
  addresses: z.array(z.string().max(512)).max(64),
  startedAt: z.number().int()
})
export type RuntimeInfo = z.infer<typeof RuntimeInfo>

/** The control API's bearer token: created once (0600), kept across restarts. */
export async function loadOrCreateToken (dataDir: string): Promise<string> {
  const path = tokenPath(dataDir)
  try {
    const text = (await readFile(path, 'utf8')).trim()
    if (/^[0-9a-f]{64}$/.test(text)) return text
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('hex')
  await writeFile(path, token + '\n', { mode: 0o600 })
  await chmod(path, 0o600)
  return token
}

export async function writeRuntime (dataDir: string, info: RuntimeInfo): Promise<void> {
  await writeFile(runtimePath(dataDir), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
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
