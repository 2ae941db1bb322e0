/** Finding programs on this machine's PATH, so steps do not depend on the PATH their env gives. */
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'

/**
 * The absolute path of `name` on `searchPath` (default: this process's PATH), or null when there
 * is no executable of that name. An absolute `name` is checked as it is.
 */
export async function findExecutable (name: string, searchPath: string = process.env.PATH ?? '/usr/bin:/bin'): Promise<string | null> {
  const candidates = isAbsolute(name) ? [name] : searchPath.split(':').filter((d) => isAbsolute(d)).map((d) => join(d, name))
  for (const file of candidates) {
    try {
      await access(file, constants.X_OK)
      return file
    } catch {
      // not here; try the next directory
    }
  }
  return null
}
