/**
 * Git source distribution and workspaces: the public face of `src/git/` for the package index.
 * See DESIGN.md "Source, artifacts, logs" and protocol.ts for the wire contract.
 */
export { hasGitBinary, runGit, type GitResult, type GitRunOptions } from './exec.ts'
export { fetchSource, type FetchComponents as SourceFetchComponents, type FetchRequest as SourceFetchRequest, type FetchResult as SourceFetchResult } from './fetch.ts'
export { CommitId, RepoId, isCommitId, isRepoId } from './ids.ts'
export * from './limits.ts'
export { createMirrors, PIN_PREFIX, type Mirrors, type MirrorsInit } from './mirrors.ts'
export type { PackProgress } from './pack-in.ts'
export { SourceRequest } from './protocol.ts'
export { findRepo, repoAtDir, listTopLevel, readFileAtCommit, repoIdOf, resolveCommit, type GitRepo, type ResolvedCommit } from './read.ts'
export { rootCommits } from './roots.ts'
export { createSourceServer, type SourceServerComponents, type SourceServerInit, type StreamHandler } from './serve.ts'
export { createWorkspaces, type PrepareRequest, type Workspace, type Workspaces, type WorkspacesInit } from './workspaces.ts'
