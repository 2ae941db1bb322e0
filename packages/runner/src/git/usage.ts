/**
 * Disk usage and recency of workspace directories, for the incremental budget.
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Bytes under `dir`: the sizes of every file and symlink, not following links. Iterative, so any
 * depth works; entries that vanish during the walk count as 0.
 */
export async function dirBytes (dir: string): Promise<number> {
  let total = 0
  const stack = [dir]
  while (stack.length > 0) {
    const d = stack.pop()!
    const entries = await readdir(d, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const path = join(d, entry.name)
      if (entry.isDirectory()) stack.push(path)
      else total += await lstat(path).then((s) => s.size, () => 0)
    }
  }
  return total
}

/**
 * `dirs` from least to most recently used. `lastUse` holds a use counter for dirs used by this
 * process; the others (left by an earlier run) come first, oldest mtime first.
 */
export async function lruOrder (dirs: readonly string[], lastUse: ReadonlyMap<string, number>): Promise<string[]> {
  const known = dirs.filter((d) => lastUse.has(d)).sort((a, b) => lastUse.get(a)! - lastUse.get(b)!)
  const unknown = await Promise.all(dirs.filter((d) => !lastUse.has(d)).map(async (d) => ({ d, at: await lstat(d).then((s) => s.mtimeMs, () => 0) })))
  return [...unknown.sort((a, b) => a.at - b.at).map((u) => u.d), ...known]
}
