/**
 * The pure-JS side of source distribution, for peers without a git binary: which objects to
 * send, proving a commit's history and trees are present, and writing a commit's tree to a
 * directory. isomorphic-git reads whole objects, so these are slower and send more bytes than
 * git; they never index or write thin packs.
 */
import fs from 'node:fs'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isoGit } from './iso-git.ts'

/** Objects of one commit range, each kind in discovery order. */
export interface ObjectSet {
  commits: string[]
  trees: string[]
  blobs: string[]
}

async function parentsOf (gitdir: string, oid: string, cache: object): Promise<{ parents: string[], tree: string }> {
  const { commit } = await (await isoGit()).readCommit({ fs, gitdir, oid, cache })
  return { parents: commit.parent, tree: commit.tree }
}

/** Every commit reachable from `tips` (inclusive). */
async function ancestors (gitdir: string, tips: readonly string[], cache: object): Promise<Set<string>> {
  const seen = new Set<string>(tips)
  const stack = [...tips]
  while (stack.length > 0) {
    const { parents } = await parentsOf(gitdir, stack.pop()!, cache)
    for (const p of parents) if (!seen.has(p)) { seen.add(p); stack.push(p) }
  }
  return seen
}

/** Adds the trees and blobs under `root` that are in neither `skip` nor `out` to `out`. */
async function collectTree (gitdir: string, root: string, skip: Set<string>, out: { seen: Set<string>, trees: string[], blobs: string[] }, cache: object): Promise<void> {
  if (skip.has(root) || out.seen.has(root)) return
  out.seen.add(root)
  out.trees.push(root)
  const stack = [root]
  const git = await isoGit()
  while (stack.length > 0) {
    const { tree } = await git.readTree({ fs, gitdir, oid: stack.pop()!, cache })
    for (const entry of tree) {
      // A gitlink names a commit of another repository: not ours to send or check.
      if (entry.type === 'commit' || skip.has(entry.oid) || out.seen.has(entry.oid)) continue
      out.seen.add(entry.oid)
      if (entry.type === 'tree') { out.trees.push(entry.oid); stack.push(entry.oid) } else out.blobs.push(entry.oid)
    }
  }
}

/**
 * The objects reachable from `want` and not from `haves`, the way git computes `want --not haves`:
 * history down to the haves' ancestry, minus the trees of the edge commits. Exact when the other
 * side holds everything reachable from its haves (a verified mirror does).
 * @throws isomorphic-git's NotFoundError when an object of `want`'s side is missing.
 */
export async function objectsBetween (gitdir: string, want: string, haves: readonly string[], cache: object = {}): Promise<ObjectSet> {
  const known = haves.length === 0 ? new Set<string>() : await ancestors(gitdir, haves, cache)
  const commits: Array<{ oid: string, tree: string }> = []
  const edges = new Set<string>()
  const seen = new Set<string>([want])
  const stack = known.has(want) ? [] : [want]
  while (stack.length > 0) {
    const oid = stack.pop()!
    const { parents, tree } = await parentsOf(gitdir, oid, cache)
    commits.push({ oid, tree })
    for (const p of parents) {
      if (known.has(p)) edges.add(p)
      else if (!seen.has(p)) { seen.add(p); stack.push(p) }
    }
  }
  const skip = { seen: new Set<string>(), trees: [] as string[], blobs: [] as string[] }
  for (const edge of edges) await collectTree(gitdir, (await parentsOf(gitdir, edge, cache)).tree, new Set(), skip, cache)
  const out = { seen: new Set<string>(), trees: [] as string[], blobs: [] as string[] }
  for (const c of commits) await collectTree(gitdir, c.tree, skip.seen, out, cache)
  return { commits: commits.map((c) => c.oid), trees: out.trees, blobs: out.blobs }
}

/**
 * Proves that `commit`, its history down to `haves` and every tree and blob they need are in
 * `gitdir` (the isomorphic stand-in for `git rev-list --objects --missing=error`).
 * @returns the id of the first missing object, or undefined when complete.
 * @throws isomorphic-git's error for an object that is there but cannot be parsed or is unsafe.
 */
export async function missingFrom (gitdir: string, commit: string, haves: readonly string[]): Promise<string | undefined> {
  const cache = {}
  try {
    const { blobs } = await objectsBetween(gitdir, commit, haves, cache)
    const git = await isoGit()
    for (const oid of blobs) await git.readObject({ fs, gitdir, oid, format: 'content', cache })
    return undefined
  } catch (err) {
    const e = err as { code?: string, data?: { what?: unknown } }
    if (e.code !== 'NotFoundError') throw err
    return typeof e.data?.what === 'string' ? e.data.what : String(err)
  }
}

/** Whether a tree entry name is safe to create in a directory. */
function safeName (name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0') && name.toLowerCase() !== '.git'
}

/**
 * Writes `commit`'s tree into the empty directory `dir`: regular and executable files, symlinks,
 * empty directories for submodules. Never follows or replaces anything already there (exclusive
 * creates), and refuses entry names that could climb out (`..`, `/`) or plant a `.git`.
 * @throws {Error} for an unsafe name or a missing object.
 */
export async function exportTree (gitdir: string, commit: string, dir: string): Promise<void> {
  const cache = {}
  const git = await isoGit()
  const { commit: c } = await git.readCommit({ fs, gitdir, oid: commit, cache })
  const stack: Array<{ oid: string, path: string }> = [{ oid: c.tree, path: dir }]
  while (stack.length > 0) {
    const { oid, path } = stack.pop()!
    const { tree } = await git.readTree({ fs, gitdir, oid, cache })
    for (const entry of tree) {
      if (!safeName(entry.path)) throw new Error(`unsafe tree entry name ${JSON.stringify(entry.path)} in tree ${oid}`)
      const target = join(path, entry.path)
      if (entry.type === 'tree' || entry.type === 'commit') {
        await mkdir(target)
        if (entry.type === 'tree') stack.push({ oid: entry.oid, path: target })
        continue
      }
      const { blob } = await git.readBlob({ fs, gitdir, oid: entry.oid, cache })
      if (entry.mode === '120000') await symlink(Buffer.from(blob).toString('utf8'), target)
      else await writeFile(target, blob, { flag: 'wx', mode: entry.mode === '100755' ? 0o755 : 0o644 })
    }
  }
}
