/**
 * Where a running node says how to reach it (node.json) and what its API token looks like, with
 * no more imports than zod: the git hook's background command reads them on every commit.
 */
import { realpathSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { dataPath, runtimeFile } from './paths.ts'

/**
 * Where the CLI finds how to reach the node of a data dir; removed on a clean stop. Under systemd
 * the file itself is in the runtime dir (gone when the service is) and this is a link to it.
 */
export const runtimePath = (dataDir: string): string => runtimeFile({ runtimeDir: dataDir })
export const tokenPath = (dataDir: string): string => dataPath(dataDir, 'apiToken')

/** The control API's unix socket (0600) in a node's runtime dir: the one place that names it. */
export const apiSocketIn = (runtimeDir: string): string => join(runtimeDir, 'api.sock')

/**
 * The socket of the node of `dataDir`: beside its node.json, which under systemd is a link from
 * the data dir into the runtime dir.
 */
export function apiSocketPath (dataDir: string): string {
  try {
    return apiSocketIn(dirname(realpathSync(runtimePath(dataDir))))
  } catch {
    return apiSocketIn(dataDir)
  }
}

export const RuntimeInfo = z.strictObject({
  pid: z.number().int(),
  peerId: z.string().max(128),
  api: z.string().url().max(256),
  addresses: z.array(z.string().max(512)).max(64),
  startedAt: z.number().int(),
  /** The config file the node read at start (`devq config` edits that one). */
  configFile: z.string().max(4096).optional()
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
