/**
 * A job that needs others gets their artifacts before its first step: each needed job's artifacts
 * are fetched (verified, into this peer's store) from the peer that built them, the origin, or any
 * other, and exported under `$DEVQ_NEEDS_DIR/<job>/<file>`.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { ArtifactRef, ByteStream, JobState, LedgerView } from '@devq/core'
import { ArtifactError } from '../errors.ts'
import { bundleName } from '../artifacts/collect.ts'
import { exportArtifact } from '../artifacts/export.ts'
import { fetchFromAny } from '../artifacts/protocol.ts'
import type { ArtifactStore } from '../artifacts/store.ts'

/** What getting needs' artifacts takes. */
export interface NeedsComponents {
  view: LedgerView
  store: ArtifactStore
  /** Opens an `artifacts` stream to a peer. */
  dial(peer: string): Promise<ByteStream>
  /** Other live peers, to ask when the builder and the origin cannot serve. */
  peers(): string[]
  selfId: string
}

/** A path segment from a pipeline job id or artifact name: no separators, not `.` or `..`. */
export function segment (name: string): string {
  // eslint-disable-next-line no-control-regex -- NUL cannot be in a file name
  const safe = name.replace(/[/\\\u0000]/g, '_')
  return safe === '.' || safe === '..' || safe === '' ? `_${safe}` : safe
}

/** The file an artifact is saved as: the name the runner recorded, else one made from its name. */
export function fileOf (ref: ArtifactRef): string {
  return ref.file ?? (ref.kind === 'binary' ? segment(ref.name) : bundleName(ref.name))
}

/** Peers to ask for a job's artifacts, in order: the builder, the origin, then the rest. */
export function sourcesOf (job: JobState, others: readonly string[], self: string): string[] {
  const order = [job.result?.by, job.origin, ...others].filter((p): p is string => p !== undefined && p !== self)
  return [...new Set(order)]
}

/** Brings one artifact into the store from the first source that has it. */
export async function ensureArtifact (c: NeedsComponents, ref: ArtifactRef, sources: readonly string[], signal?: AbortSignal): Promise<void> {
  if (await c.store.has(ref.digest)) {
    await c.store.touch(ref.digest)
    return
  }
  if (sources.length === 0) throw new ArtifactError(`artifact ${ref.name} (${ref.digest}) is not on this peer and no peer is known to have it`, { artifact: ref.name, reason: 'unavailable', detail: 'no source' })
  await fetchFromAny({ dials: sources.map((p) => async () => await c.dial(p)), ref, store: c.store, ...(signal === undefined ? {} : { signal }) })
}

/** Fetches and exports the artifacts of every job `job` needs; returns how many files were placed. */
export async function placeNeeds (c: NeedsComponents, job: JobState, dir: string, signal?: AbortSignal): Promise<number> {
  let placed = 0
  for (const need of job.needs) {
    const needed = need.job === undefined ? undefined : c.view.job(need.job)
    const result = needed?.result
    if (needed === undefined || result === undefined) continue
    const into = join(dir, segment(need.pipelineJob))
    await mkdir(into, { recursive: true })
    for (const ref of result.artifacts) {
      await ensureArtifact(c, ref, sourcesOf(needed, c.peers(), c.selfId), signal)
      await exportArtifact(c.store, ref.digest, join(into, fileOf(ref)), { kind: ref.kind })
      placed++
    }
  }
  return placed
}
