/**
 * Every cap and timeout the artifact code enforces, in one place. Sizes are bytes, times
 * milliseconds. Callers may lower (or raise) the per-call ones through their options.
 */
import { MAX_ARTIFACT_SIZE, MAX_JOB_ARTIFACTS_SIZE } from '@devq/core'

/** Default cap on one collected artifact (its file, or the tar of its files): what a finish may list. */
export const MAX_ARTIFACT_BYTES = MAX_ARTIFACT_SIZE
/** Default cap on all artifacts one job collects together. */
export const MAX_JOB_ARTIFACT_BYTES = MAX_JOB_ARTIFACTS_SIZE
/** Most files one artifact may gather (a directory or several globs). */
export const MAX_ARTIFACT_FILES = 100_000
/** Most entries read from a tar (a package, or a container layout) before it is refused. */
export const MAX_TAR_ENTRIES = 200_000
/** Most bytes of a compressed artifact read to see whether its first decompressed block is a tar header. */
export const MAX_TAR_SNIFF_BYTES = 1024 * 1024
/** Largest `oci-layout`, `index.json`, manifest or nested index read into memory. */
export const MAX_OCI_JSON_BYTES = 4 * 1024 * 1024
/** Most bytes of JSON blobs held in memory while one container layout is checked. */
export const MAX_OCI_JSON_TOTAL_BYTES = 64 * 1024 * 1024
/** Deepest nesting of image indexes followed from `index.json`. */
export const MAX_OCI_DEPTH = 8
/** Most descriptors (manifests, configs, layers) followed in one layout. */
export const MAX_OCI_DESCRIPTORS = 10_000
/** Largest request frame of the `artifacts` protocol (it holds one digest). */
export const MAX_ARTIFACT_REQUEST_BYTES = 1024
/** A fetch fails when no byte arrives for this long. */
export const FETCH_IDLE_MS = 30_000
/** The server gives up on a peer that sends no request, or takes no bytes, for this long. */
export const SERVE_IDLE_MS = 30_000
/** Temp files of an ingest older than this are removed even if their writer's pid is alive (pid reuse). */
export const STALE_INGEST_MS = 24 * 3600 * 1000
/** Size of the chunks read from files and blobs. */
export const READ_CHUNK_BYTES = 64 * 1024
