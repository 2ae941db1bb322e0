/** The per-test grid and temp dirs of a test file of real builds (vitest only: it registers afterEach). */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { removeDir, startCluster, type Cluster } from './harness.ts'
import { commitAll, git } from './fixtures/c-project.ts'

/**
 * What a test file of real builds shares: the grid of the current test and its temp dirs, all
 * stopped and removed after each test.
 */
export function gridFixture (): {
  grid: (n: number, args?: (i: number) => string[]) => Promise<Cluster>
  tempDir: (name: string) => Promise<string>
  repo: (files: string | Record<string, string>, name?: string) => Promise<string>
} {
  let cluster: Cluster | undefined
  const dirs: string[] = []
  afterEach(async () => {
    await cluster?.stop()
    cluster = undefined
    await Promise.all(dirs.splice(0).map(removeDir))
  })
  const tempDir = async (name: string): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), `devq-${name}-`))
    dirs.push(dir)
    return dir
  }
  return {
    grid: async (n, args) => (cluster = await startCluster(n, args)),
    tempDir,
    /** A git repository with `files` committed on main; a string is its `.devq.yml`. */
    async repo (files, name = 'repo') {
      const dir = await tempDir(name)
      for (const [file, text] of Object.entries(typeof files === 'string' ? { '.devq.yml': files } : files)) await writeFile(join(dir, file), text)
      await git(dir, ['init', '-q', '-b', 'main'])
      await commitAll(dir, 'first commit')
      return dir
    }
  }
}
