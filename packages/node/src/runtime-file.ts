/**
 * Where a running node says how to reach it (node.json) and what its API token looks like, with
 * no more imports than zod: the git hook's background command reads them on every commit.
 */
import { readFile } from 'node:fs/promises'
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

/** The control API's bearer token as api.token holds it: 32 random bytes in hex. */
export const ApiToken = z.string().regex(/^[0-9a-f]{64}$/)

/** What node.json says, or undefined when it is missing, too large or not what a node writes. */
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
