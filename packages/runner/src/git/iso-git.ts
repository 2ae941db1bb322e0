/**
 * isomorphic-git, loaded when first used. It is the fallback where no git binary exists and the
 * reader of a few objects when a run is announced or served; a node that builds nothing never
 * needs it, and its bundle (over 1 MB of source, and what it compiles to) would otherwise stay in
 * every node's memory from the start. Concurrent first callers share one load.
 */
import type * as IsoGitModule from 'isomorphic-git'

type IsoGit = typeof IsoGitModule

let loading: Promise<IsoGit> | undefined

export async function isoGit (): Promise<IsoGit> {
  loading ??= import('isomorphic-git')
  return await loading
}
