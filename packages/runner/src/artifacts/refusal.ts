/**
 * Helpers every artifact module uses to name a refusal the same way: the artifact, the path, the
 * reason (a code to check) and a detail for people.
 */
import { ArtifactError, type ArtifactFailure } from '../errors.ts'

/**
 * An ArtifactError whose message names the artifact and, when known, the path. Transfer failures
 * (`unavailable`, `digest_mismatch`, `size_mismatch`) may be marked retryable by the caller.
 */
export function artifactError (artifact: string, reason: ArtifactFailure, detail: string, path?: string, options: { cause?: unknown, retryable?: boolean } = {}): ArtifactError {
  const where = path === undefined ? '' : ` ${JSON.stringify(path)}`
  const data = path === undefined ? { artifact, reason, detail } : { artifact, path, reason, detail }
  return new ArtifactError(`artifact ${JSON.stringify(artifact)}:${where} ${detail}`, data, options)
}

/** Whether `err` is an ArtifactError (checked by name, so it holds across realms and the wire). */
export function isArtifactError (err: unknown): err is ArtifactError {
  return err instanceof Error && err.name === 'ArtifactError'
}
