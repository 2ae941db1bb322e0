/**
 * Which workspace files an artifact's globs name, and opening them so that nothing outside the
 * workspace can be read. A pattern that is absolute or climbs with `..` is refused before globbing;
 * every match is then checked on its own: symlinks are resolved with realpath and must stay inside,
 * only regular files are taken, and the file opened must be the file checked (same dev and inode,
 * and its /proc path inside the workspace), so a swap between the check and the read cannot escape.
 */
import { constants, readdir as readdirCb, type Dirent } from 'node:fs'
import { lstat, open, readlink, realpath, type FileHandle } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { glob, type FileSystemAdapter } from 'tinyglobby'
import type { PlannedArtifact } from '@devq/core'
import { MAX_ARTIFACT_FILES, READ_CHUNK_BYTES } from './limits.ts'
import { artifactError } from './refusal.ts'

/** A checked regular file of the workspace: where it is and which inode it was when checked. */
export interface WorkspaceFile {
  /** Its path relative to the workspace, `/`-separated, as matched. */
  rel: string
  /** The real path to open (a matched symlink's resolved target). */
  real: string
  dev: number
  ino: number
  size: number
}

/** What an artifact's globs matched. */
export interface Selection {
  /** Regular files (and symlinks to them), sorted by `rel`. */
  files: WorkspaceFile[]
  /** Directories matched as such (their files are in `files`). */
  dirs: string[]
}

/** An opened workspace file, checked to be the one selected. Read it with `chunks`, then `close`. */
export interface OpenedFile {
  size: number
  mode: number
  chunks(): AsyncIterable<Uint8Array>
  close(): Promise<void>
}

function kindOf (st: { isFIFO: () => boolean, isSocket: () => boolean, isCharacterDevice: () => boolean, isBlockDevice: () => boolean }): string {
  if (st.isFIFO()) return 'a fifo'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  return 'not a regular file'
}

/**
 * Refuses a pattern that could name something outside the workspace.
 * @throws {ArtifactError} `absolute_path`, `escapes_workspace`, or `no_match` for an empty pattern.
 */
export function checkPattern (artifact: string, pattern: string): void {
  if (pattern.trim() === '') throw artifactError(artifact, 'no_match', 'has an empty path pattern', pattern)
  if (isAbsolute(pattern) || pattern.startsWith('\\') || /^[A-Za-z]:/.test(pattern)) {
    throw artifactError(artifact, 'absolute_path', 'is an absolute path; artifact paths are relative to the workspace', pattern)
  }
  if (pattern.split(/[/\\]/).includes('..')) throw artifactError(artifact, 'escapes_workspace', 'climbs out of the workspace with ..', pattern)
}

/** Whether `path` (real) is `root` (real) or below it. */
export function isInside (root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`)
}

/**
 * A readdir for the glob walker that reports every non-directory entry (symlinks, fifos, devices)
 * as a file. The walker itself drops them, which would turn a refused path into a silent "no match";
 * reported, each gets checked and refused by name. Symlinked directories are still not entered.
 */
// The walker calls only the `withFileTypes` form of readdir; node's overloaded type is wider than that.
const listEverything = {
  readdir: (path: string, options: { withFileTypes: true }, cb: (err: NodeJS.ErrnoException | null, entries: Dirent[]) => void): void => {
    readdirCb(path, options, (err, entries) => {
      cb(err, (entries ?? []).map((d) => Object.assign(Object.create(d) as Dirent, {
        isFile: () => !d.isDirectory(),
        isSymbolicLink: () => false,
        isDirectory: () => d.isDirectory()
      })))
    })
  }
} as unknown as FileSystemAdapter

async function checkMatch (artifact: string, workspace: string, rel: string): Promise<WorkspaceFile> {
  const abs = join(workspace, rel)
  const link = await lstat(abs)
  if (!link.isSymbolicLink() && !link.isFile()) throw artifactError(artifact, 'not_regular', `is ${kindOf(link)}`, rel)
  let real: string
  try {
    real = await realpath(abs)
  } catch (err) {
    throw artifactError(artifact, 'not_regular', 'is a symlink to nothing', rel, { cause: err })
  }
  if (!isInside(workspace, real)) {
    throw artifactError(artifact, 'symlink_escape', `resolves to ${JSON.stringify(real)}, outside the workspace`, rel)
  }
  const st = await lstat(real)
  if (st.isDirectory()) throw artifactError(artifact, 'not_regular', 'is a symlink to a directory; name the directory itself', rel)
  if (!st.isFile()) throw artifactError(artifact, 'not_regular', `resolves to ${kindOf(st)}`, rel)
  return { rel, real, dev: st.dev, ino: st.ino, size: st.size }
}

/**
 * The files an artifact's `paths` match in `workspace` (a real path), minus `exclude`. Globs with
 * tinyglobby (dot files included, symlinks not followed) after `checkPattern` on every pattern.
 * @throws {ArtifactError} naming the artifact and the first offending path.
 */
export async function selectFiles (workspace: string, spec: PlannedArtifact, maxFiles: number = MAX_ARTIFACT_FILES): Promise<Selection> {
  for (const p of [...spec.paths, ...spec.exclude]) checkPattern(spec.name, p)
  if (spec.paths.length === 0) throw artifactError(spec.name, 'no_match', 'lists no paths')
  const matches = await glob(spec.paths, {
    cwd: workspace, dot: true, followSymbolicLinks: false, onlyFiles: false, ignore: [...spec.exclude], fs: listEverything
  })
  const files: WorkspaceFile[] = []
  const dirs: string[] = []
  const seen = new Set<string>()
  for (const match of matches.sort()) {
    const rel = match.endsWith('/') ? match.slice(0, -1) : match
    if (isAbsolute(rel) || rel.split('/').includes('..')) throw artifactError(spec.name, 'escapes_workspace', 'matches a path outside the workspace', rel)
    if (seen.has(rel)) continue
    seen.add(rel)
    if (match.endsWith('/')) {
      dirs.push(rel)
      continue
    }
    if (files.length >= maxFiles) throw artifactError(spec.name, 'too_large', `matches more than ${maxFiles} files`, rel)
    files.push(await checkMatch(spec.name, workspace, rel))
  }
  return { files, dirs }
}

async function procPath (handle: FileHandle): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`)
  } catch {
    return undefined
  }
}

async function * readExactly (handle: FileHandle, size: number, artifact: string, rel: string): AsyncGenerator<Uint8Array> {
  let position = 0
  while (position < size) {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, size - position))
    const { bytesRead } = await handle.read(buf, 0, buf.length, position)
    if (bytesRead === 0) throw artifactError(artifact, 'size_mismatch', `shrank from ${size} to ${position} bytes while it was read`, rel)
    position += bytesRead
    yield buf.subarray(0, bytesRead)
  }
}

/**
 * Opens a selected file without following a symlink, and checks that it is still the regular file
 * that was selected, inside `workspace`. Reads see the size it had at open.
 * @throws {ArtifactError} `symlink_escape` or `not_regular` when the file changed since selection.
 */
export async function openChecked (artifact: string, workspace: string, file: WorkspaceFile): Promise<OpenedFile> {
  let handle: FileHandle
  try {
    handle = await open(file.real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw artifactError(artifact, code === 'ELOOP' ? 'symlink_escape' : 'not_regular', `could not be opened as it was checked (${code ?? 'error'})`, file.rel, { cause: err })
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw artifactError(artifact, 'not_regular', `became ${kindOf(st)} after it was checked`, file.rel)
    if (st.dev !== file.dev || st.ino !== file.ino) throw artifactError(artifact, 'symlink_escape', 'was replaced by another file after it was checked', file.rel)
    const opened = await procPath(handle)
    if (opened !== undefined && !isInside(workspace, opened)) {
      throw artifactError(artifact, 'symlink_escape', `opened ${JSON.stringify(opened)}, outside the workspace`, file.rel)
    }
    const size = st.size
    return { size, mode: st.mode, chunks: () => readExactly(handle, size, artifact, file.rel), close: async () => { await handle.close() } }
  } catch (err) {
    await handle.close()
    throw err
  }
}
