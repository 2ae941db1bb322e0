/**
 * Every cap and timeout of git source distribution and workspaces, in one place.
 * Sizes are bytes, times milliseconds.
 */

/** Name of the direct-stream protocol that serves source (the mesh prefixes it with the team). */
export const GIT_PROTOCOL = 'git'
/** Most haves one request may name; the runner sends its newest pinned tips. */
export const MAX_HAVES = 64
/** Default number of pinned tips a runner offers as haves. */
export const DEFAULT_TIPS = 32
/** Default cap on one incoming pack. */
export const DEFAULT_MAX_PACK_BYTES = 2 * 1024 * 1024 * 1024
/** Default idle timeout of a transfer: no byte for this long and the attempt fails as `stalled`. */
export const DEFAULT_IDLE_MS = 30_000
/** Default cap on what one buffered git command may print on stdout. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024
/** Most stderr kept from one git command (for the error message). */
export const MAX_STDERR_BYTES = 1024 * 1024
/** Largest `.git` file (a worktree's or submodule's pointer) read while looking for a repository. */
export const MAX_DOTGIT_FILE_BYTES = 4096
/** Size of the PACK header: magic, version, object count. */
export const PACK_HEADER_BYTES = 12
/** Size of the SHA-1 trailer of a pack. */
export const PACK_TRAILER_BYTES = 20
/** A mirror with more packs than this gets its small packs combined (geometric repack) after a fetch. */
export const MAX_MIRROR_PACKS = 16
