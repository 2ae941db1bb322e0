/**
 * Artifacts on a runner: the content-addressed store, collection from a workspace, the `artifacts`
 * protocol that serves and fetches blobs between peers, and export to a user's directory.
 */
export { createArtifactStore, type ArtifactStore, type ArtifactStoreInit, type BlobExpectation, type BlobInfo, type EvictResult, type StoreUsage } from './store.ts'
export { collectArtifacts, type CollectInit } from './collect.ts'
export {
  ARTIFACTS_PROTOCOL, createArtifactServer, fetchArtifact, fetchFromAny, probeArtifact,
  type ArtifactHandler, type ArtifactServerInit, type AuthorizeFetch, type FetchAnyInit as ArtifactFetchAnyInit, type FetchInit as ArtifactFetchInit, type FetchResult as ArtifactFetchResult, type ProbeInit as ArtifactProbeInit
} from './protocol.ts'
export { exportArtifact, type ExportOptions } from './export.ts'
export { isDigest } from './digest.ts'
export { planEviction, type BlobUse } from './retention.ts'
export * from './limits.ts'
