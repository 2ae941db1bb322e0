/**
 * Whether this peer has room for artifacts before it fetches them: a runner (or a forged result)
 * may list artifacts of any size up to the ledger's cap, and the origin pulls its own jobs'
 * artifacts unasked.
 */
import { statfs } from 'node:fs/promises'
import type { ArtifactRef } from '@devq/core'
import type { ArtifactStore } from '@devq/runner'

/** Disk kept free after any pull, in bytes. */
export const DISK_RESERVE_BYTES = 1024 ** 3

/**
 * Undefined when `refs` fit, else why not: larger than this peer's artifact budget, or than the
 * free disk under `dir` minus a reserve. Blobs already held count for nothing.
 */
export async function roomFor (store: ArtifactStore, dir: string, refs: readonly ArtifactRef[], budgetBytes: number): Promise<string | undefined> {
  let needed = 0
  for (const ref of refs) if (!await store.has(ref.digest)) needed += ref.size
  if (needed === 0) return undefined
  if (needed > budgetBytes) return `the artifacts need ${needed} bytes, more than this peer's artifact budget of ${budgetBytes} bytes (--artifact-budget-mb)`
  const fs = await statfs(dir).catch(() => undefined)
  const free = fs === undefined ? Infinity : fs.bavail * fs.bsize
  if (needed + DISK_RESERVE_BYTES > free) return `the artifacts need ${needed} bytes and only ${free} are free on the disk of ${dir} (1 GiB is kept free)`
  return undefined
}
