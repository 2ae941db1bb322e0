import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { dataPath } from './paths.ts'
import { writePrivateFile } from './private-file.ts'

/** Most repositories a node remembers. */
const MAX_REPOS = 1024
const MAX_FILE_BYTES = 1024 * 1024

const RepoFile = z.strictObject({
  v: z.literal(1),
  repos: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.strictObject({ path: z.string().min(1).max(4096), usedAt: z.number().int() }))
})

/**
 * Where this peer's developers keep each repository, by repo id: the node serves source from
 * there (read-only) and reads pipelines and secret names there after a restart. Kept in
 * `<dataDir>/repos.json`. Writes are serialized; a damaged file is treated as empty (it is a cache
 * of what `devq run` tells the node again).
 */
export interface RepoRegistry {
  /** Records (or refreshes) the path of a repository. */
  remember(repo: string, path: string): Promise<void>
  /** The path last recorded for a repo id. */
  pathOf(repo: string): string | undefined
}

export async function openRepoRegistry (dataDir: string): Promise<RepoRegistry> {
  const file = dataPath(dataDir, 'repos')
  let repos: Record<string, { path: string, usedAt: number }> = {}
  try {
    const text = await readFile(file, 'utf8')
    if (text.length <= MAX_FILE_BYTES) {
      const parsed = RepoFile.safeParse(JSON.parse(text))
      if (parsed.success) repos = parsed.data.repos
    }
  } catch { /* absent or damaged: start empty */ }
  let writing = Promise.resolve()
  const save = async (): Promise<void> => {
    const entries = Object.entries(repos).sort(([, a], [, b]) => b.usedAt - a.usedAt).slice(0, MAX_REPOS)
    repos = Object.fromEntries(entries)
    await writePrivateFile(file, JSON.stringify({ v: 1, repos }, null, 2) + '\n')
  }
  return {
    async remember (repo, path) {
      if (repos[repo]?.path === path) return
      repos[repo] = { path, usedAt: Date.now() }
      writing = writing.then(save, save)
      await writing
    },
    pathOf: (repo) => repos[repo]?.path
  }
}
