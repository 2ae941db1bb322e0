/**
 * Commits a git dir was seen to hold, from the packs served out of it: a runner's haves are the
 * commits it fetched before, so once known they need no `git cat-file` on the next request.
 * A commit can leave a repository (a deleted branch, then gc), so what is known here is a guess
 * that `git pack-objects` confirms; a failed pack makes the server forget the git dir and check.
 */

/** What a source server knows of the commits its git dirs hold. Not shared between servers. */
export interface HeldCommits {
  /** Whether every one of `oids` was seen in `gitdir`. */
  hasAll(gitdir: string, oids: readonly string[]): boolean
  /** Notes that `gitdir` holds `oids` (commits). */
  add(gitdir: string, oids: readonly string[]): void
  /** Drops everything known of `gitdir`. */
  forget(gitdir: string): void
}

/** A new, empty record; at most `max` (git dir, commit) pairs, the least recently used dropped first. */
export function createHeldCommits (max = 4096): HeldCommits {
  const known = new Map<string, string>()
  const keyOf = (gitdir: string, oid: string): string => `${gitdir}\0${oid}`
  return {
    hasAll (gitdir, oids) {
      return oids.every((oid) => known.has(keyOf(gitdir, oid)))
    },
    add (gitdir, oids) {
      for (const oid of oids) {
        const key = keyOf(gitdir, oid)
        known.delete(key)
        known.set(key, gitdir)
      }
      while (known.size > max) known.delete(known.keys().next().value!)
    },
    forget (gitdir) {
      for (const [key, dir] of known) if (dir === gitdir) known.delete(key)
    }
  }
}
