/**
 * From a finished job's workspace to the store: each planned artifact's globs select checked files
 * (see workspace-files.ts); one regular file is stored as it is, several files or a directory as a
 * deterministic tar. Kind checks run on the very bytes being stored, before the blob is committed,
 * so a refused artifact leaves nothing in the store: a single file of any kind that is a tar, by its
 * content whatever its name, must have safe entries; a `container` must be a complete OCI image layout.
 */
import { realpath } from 'node:fs/promises'
import { posix } from 'node:path'
import type { ArtifactRef, Logger, PlannedArtifact } from '@devq/core'
import { MAX_ARTIFACT_BYTES, MAX_JOB_ARTIFACT_BYTES } from './limits.ts'
import { createOciScanner } from './oci.ts'
import { artifactError, isArtifactError } from './refusal.ts'
import type { ArtifactStore } from './store.ts'
import { createTarScanner, scanned, type TarScanner } from './tar-check.ts'
import { sniffTar } from './tar-sniff.ts'
import { deterministicTar, type TarSource } from './tar-write.ts'
import { openChecked, selectFiles, type Selection, type WorkspaceFile } from './workspace-files.ts'

/** Options of `collectArtifacts`. */
export interface CollectInit {
  /** The job's workspace directory; every artifact path is relative to it and must stay inside it. */
  workspace: string
  specs: readonly PlannedArtifact[]
  store: ArtifactStore
  /** Cap on one artifact's stored bytes (default MAX_ARTIFACT_BYTES). */
  maxBytes?: number
  /** Cap on all the artifacts' bytes together (default MAX_JOB_ARTIFACT_BYTES). */
  maxTotalBytes?: number
  logger?: Logger
}

/** What to store for one artifact: its bytes, and a name to report a size refusal against. */
interface Content {
  source: AsyncIterable<Uint8Array>
  /** Bytes of file content (a tar adds headers on top). */
  contentBytes: number
  /** The file or pattern a size refusal names. */
  label: string
  /** For a single file: its name (which tells a brotli tar, the one kind its bytes cannot). */
  fileName?: string
}

function singleFile (workspace: string, spec: PlannedArtifact, file: WorkspaceFile): AsyncIterable<Uint8Array> {
  return (async function * () {
    const opened = await openChecked(spec.name, workspace, file)
    try {
      yield * opened.chunks()
    } finally {
      await opened.close()
    }
  })()
}

function tarSources (workspace: string, spec: PlannedArtifact, files: readonly WorkspaceFile[], root: string): TarSource[] {
  return files.map((file) => ({
    name: root === '' ? file.rel : posix.relative(root, file.rel),
    open: async () => await openChecked(spec.name, workspace, file)
  }))
}

/** The directory holding the shallowest `oci-layout` among the files: the layout's root. */
function ociRoot (spec: PlannedArtifact, files: readonly WorkspaceFile[]): string {
  const layouts = files.map((f) => f.rel).filter((rel) => posix.basename(rel) === 'oci-layout')
  layouts.sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1))
  const first = layouts[0]
  if (first === undefined) throw artifactError(spec.name, 'bad_oci_layout', 'is not an OCI image layout: oci-layout is missing', spec.paths.join(', '))
  const root = posix.dirname(first) === '.' ? '' : posix.dirname(first)
  const outside = files.find((f) => root !== '' && !f.rel.startsWith(`${root}/`))
  if (outside !== undefined) throw artifactError(spec.name, 'bad_oci_layout', `is outside the image layout at ${JSON.stringify(root)}`, outside.rel)
  return root
}

function contentOf (workspace: string, spec: PlannedArtifact, sel: Selection): Content {
  const contentBytes = sel.files.reduce((n, f) => n + f.size, 0)
  const only = sel.files[0]
  if (sel.files.length === 1 && sel.dirs.length === 0 && only !== undefined) {
    return { source: singleFile(workspace, spec, only), contentBytes, label: only.rel, fileName: posix.basename(only.rel) }
  }
  const root = spec.kind === 'container' ? ociRoot(spec, sel.files) : ''
  return { source: deterministicTar(tarSources(workspace, spec, sel.files, root)), contentBytes, label: spec.paths.join(', ') }
}

async function * capped (source: AsyncIterable<Uint8Array>, limit: number, artifact: string, label: string): AsyncGenerator<Uint8Array> {
  let total = 0
  for await (const chunk of source) {
    total += chunk.length
    if (total > limit) throw artifactError(artifact, 'too_large', `is over its cap of ${limit} bytes`, label)
    yield chunk
  }
}

/**
 * A single file's bytes, passed on unchanged; when its first bytes show a tar (plain or compressed),
 * every entry is checked as it streams by. A file that is not a tar costs only the look at its start.
 */
async function * tarChecked (source: AsyncIterable<Uint8Array>, artifact: string, fileName: string, namesOnly: boolean): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]()
  const next = async (): Promise<Uint8Array | undefined> => {
    const r = await it.next()
    return r.done === true ? undefined : r.value
  }
  let scanner: TarScanner | undefined
  let finished = false
  try {
    const sniff = await sniffTar(next, fileName)
    scanner = sniff.tar === undefined ? undefined : createTarScanner({ artifact, unreadable: 'bad_tar_entry', compression: sniff.tar, namesOnly })
    for (const chunk of sniff.head) {
      await scanner?.write(chunk)
      yield chunk
    }
    for (let chunk = sniff.ended ? undefined : await next(); chunk !== undefined; chunk = await next()) {
      await scanner?.write(chunk)
      yield chunk
    }
    await scanner?.end()
    finished = true
  } finally {
    if (!finished) scanner?.abort?.()
    // A refusal or a cap stops the read early: close the file now rather than when it is collected.
    await it.return?.()
  }
}

function checkedByKind (spec: PlannedArtifact, content: Content): AsyncIterable<Uint8Array> {
  if (spec.kind === 'container') {
    const oci = createOciScanner(spec.name)
    return scanned(content.source, { write: oci.write, end: async () => { await oci.end() } })
  }
  // A bundle is a tar this module writes from checked workspace files, so only a single file needs the look.
  if (content.fileName !== undefined) return tarChecked(content.source, spec.name, content.fileName, spec.kind === 'binary')
  return content.source
}

async function collectOne (workspace: string, spec: PlannedArtifact, store: ArtifactStore, limit: number): Promise<ArtifactRef> {
  const sel = await selectFiles(workspace, spec)
  if (sel.files.length === 0) {
    throw artifactError(spec.name, 'no_match', sel.dirs.length > 0 ? 'matches only empty directories' : 'matches no file in the workspace', spec.paths.join(', '))
  }
  const content = contentOf(workspace, spec, sel)
  if (content.contentBytes > limit) throw artifactError(spec.name, 'too_large', `has ${content.contentBytes} bytes of files, over its cap of ${limit} bytes`, content.label)
  const { digest, size } = await store.putStream(capped(checkedByKind(spec, content), limit, spec.name, content.label))
  return { name: spec.name, kind: spec.kind, file: content.fileName ?? bundleName(spec.name), digest, size }
}

/** The file name of a bundle (a tar of several files): the artifact's name made safe as one path segment. */
export function bundleName (name: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is one of the characters a file name cannot hold
  return `${name.replace(/[/\\\u0000]/g, '_').slice(0, 200)}.tar`
}

/**
 * Collects every artifact of `specs` from `workspace` into `store`, in order, and returns their refs
 * for the finish event. Idempotent: collecting the same files again gives the same digests.
 * @throws {ArtifactError} for the first artifact refused, naming it and the offending path
 * (`no_match`, `absolute_path`, `escapes_workspace`, `symlink_escape`, `not_regular`,
 * `bad_tar_entry`, `bad_oci_layout`, `too_large`).
 */
export async function collectArtifacts (init: CollectInit): Promise<ArtifactRef[]> {
  const workspace = await realpath(init.workspace)
  const perArtifact = init.maxBytes ?? MAX_ARTIFACT_BYTES
  let left = init.maxTotalBytes ?? MAX_JOB_ARTIFACT_BYTES
  const logger = init.logger?.child({ component: 'artifacts' })
  const refs: ArtifactRef[] = []
  for (const spec of init.specs) {
    const limit = Math.min(perArtifact, left)
    let ref: ArtifactRef
    try {
      ref = await collectOne(workspace, spec, init.store, limit)
    } catch (err) {
      if (isArtifactError(err) && err.data.reason === 'too_large' && limit < perArtifact) {
        throw artifactError(spec.name, 'too_large', `does not fit: the job's artifacts together are capped at ${init.maxTotalBytes ?? MAX_JOB_ARTIFACT_BYTES} bytes`, spec.paths.join(', '), { cause: err })
      }
      throw err
    }
    left -= ref.size
    refs.push(ref)
    logger?.info({ artifact: ref.name, kind: ref.kind, digest: ref.digest, bytes: ref.size }, 'artifact collected')
  }
  return refs
}
