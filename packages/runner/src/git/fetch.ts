/**
 * The runner side of the `git` protocol: brings one commit into the runner's mirror from the
 * first peer that can serve it, proves the commit and its whole tree are there, and pins it.
 */
import type { ByteStream, Logger } from '@devq/core'
import { SourceError, type SourceFailure } from '../errors.ts'
import { FrameReader, withIdleTimeout, writeFrame } from '../wire.ts'
import { hasGitBinary, runGit } from './exec.ts'
import { isCommitId, isRepoId } from './ids.ts'
import { missingFrom } from './iso.ts'
import { DEFAULT_IDLE_MS, DEFAULT_MAX_PACK_BYTES, GIT_PROTOCOL } from './limits.ts'
import type { Mirrors } from './mirrors.ts'
import { intakePack, PackMeter, packNames, removePack, type FailWith, type PackProgress } from './pack-in.ts'
import { SourceAnswer } from './protocol.ts'

/** What `fetchSource` needs. */
export interface FetchComponents {
  mirrors: Mirrors
  /** Opens a `git` protocol stream to `peer`. */
  dial(peer: string): Promise<ByteStream>
  logger: Logger
}

/** One commit to fetch. */
export interface FetchRequest {
  repo: string
  commit: string
  /** Peers to ask, in order: the origin first, then others that announced or hold it. */
  peers: string[]
  /** Cap on the pack, bytes (default 2 GiB). */
  maxPackBytes?: number
  /** A transfer with no byte for this long fails as `stalled` (default 30 s). */
  idleMs?: number
  signal?: AbortSignal
  onProgress?: (p: PackProgress) => void
  /**
   * Asks the mirror only whether the commit is pinned before fetching (no git process): for a
   * commit just announced, which it almost never holds. One it holds unpinned (an ancestor of a
   * pin) then comes as an empty pack.
   */
  pinsOnly?: boolean
}

/** How the commit arrived. `peer` is `''` and the counts 0 when the mirror already had it. */
export interface FetchResult {
  bytes: number
  objects: number
  ms: number
  peer: string
  alreadyHad: boolean
}

const REMOTE_REASONS = new Set<string>(['refused', 'unavailable'])

function sourceError (req: FetchRequest, peer: string | undefined, reason: SourceFailure, detail: string, cause?: unknown): SourceError {
  const from = peer === undefined ? '' : ` from ${peer}`
  return new SourceError(`source ${req.commit} of ${req.repo}${from}: ${reason}: ${detail}`, { repo: req.repo, commit: req.commit, peer, reason, detail }, { cause })
}

/** The SourceError any failure of one attempt becomes. */
function classify (req: FetchRequest, peer: string, err: unknown): SourceError {
  if (err instanceof SourceError) return err.data.peer === peer ? err : sourceError(req, peer, err.data.reason, err.data.detail, err)
  const e = err as { name?: string, message?: string, data?: { remote?: { name: string, message: string, data: unknown } } }
  const message = e.message ?? String(err)
  if (req.signal?.aborted === true) return sourceError(req, peer, 'timeout', 'the fetch was aborted', err)
  switch (e.name) {
    case 'RemoteError': {
      const remote = e.data?.remote
      const reason = (remote?.data as { reason?: string } | undefined)?.reason
      const mapped: SourceFailure = remote?.name === 'SourceError' && reason !== undefined && REMOTE_REASONS.has(reason) ? reason as SourceFailure : 'refused'
      return sourceError(req, peer, mapped, (remote?.data as { detail?: string } | undefined)?.detail ?? remote?.message ?? message, err)
    }
    case 'StreamStalledError': return sourceError(req, peer, 'stalled', message, err)
    case 'ProtocolError': return sourceError(req, peer, 'unavailable', `bad answer: ${message}`, err)
    case 'GitCommandError': return sourceError(req, peer, 'git_failed', message, err)
    default: return sourceError(req, peer, 'unavailable', message, err)
  }
}

/**
 * Proves `commit` and everything it needs down to `haves` is in the mirror; otherwise takes the
 * new pack out again and throws `missing_object` (or `corrupt_pack` for objects that cannot be read).
 */
async function proveComplete (gitdir: string, pack: { name: string, before: Set<string> }, commit: string, haves: string[], git: { useGit: boolean, gitPath?: string }, fail: FailWith): Promise<void> {
  let missing: string | undefined
  try {
    if (git.useGit) {
      const args = ['--git-dir', gitdir, 'rev-list', '--objects', '--missing=error', '--quiet', `${commit}^{commit}`, '--not', ...haves]
      missing = await runGit(args, { gitPath: git.gitPath }).then(() => undefined, (err: { data?: { stderr?: string }, message?: string }) => err.data?.stderr ?? err.message ?? 'rev-list failed')
    } else {
      missing = await missingFrom(gitdir, commit, haves)
    }
  } catch (err) {
    await removePack(gitdir, pack.name, pack.before)
    throw fail('corrupt_pack', `the pack holds an object that cannot be read: ${err instanceof Error ? err.message : String(err)}`, err)
  }
  if (missing !== undefined) {
    await removePack(gitdir, pack.name, pack.before)
    throw fail('missing_object', `the pack does not complete the commit: ${missing}`)
  }
}

async function attempt (components: FetchComponents, req: FetchRequest, peer: string, gitdir: string): Promise<{ bytes: number, objects: number }> {
  const { mirrors } = components
  const fail: FailWith = (reason, detail, cause) => sourceError(req, peer, reason, detail, cause)
  const stream = await components.dial(peer).catch((err: unknown) => { throw fail('unavailable', `could not open a stream: ${err instanceof Error ? err.message : String(err)}`, err) })
  try {
    const useGit = await hasGitBinary(mirrors.gitPath)
    const haves = await mirrors.tips(req.repo)
    await writeFrame(stream, { repo: req.repo, want: req.commit, haves, thin: useGit })
    const reader = new FrameReader(withIdleTimeout(stream.source, req.idleMs ?? DEFAULT_IDLE_MS, GIT_PROTOCOL, req.signal), GIT_PROTOCOL)
    await reader.answer(SourceAnswer)
    const meter = new PackMeter(req.maxPackBytes ?? DEFAULT_MAX_PACK_BYTES, fail, req.onProgress)
    const before = await packNames(gitdir)
    const name = await intakePack(gitdir, meter.pass(reader.rest()), { useGit, gitPath: mirrors.gitPath, signal: req.signal, fail })
    await proveComplete(gitdir, { name, before }, req.commit, haves, { useGit, gitPath: mirrors.gitPath }, fail)
    await mirrors.pin(req.repo, req.commit)
    await stream.end().catch(() => {})
    return { bytes: meter.bytes, objects: meter.objects }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

function allFailed (req: FetchRequest, failures: SourceError[]): SourceError {
  if (failures.length === 0) return sourceError(req, undefined, 'unavailable', 'no peer to fetch from')
  const detail = failures.map((f) => `${f.data.peer ?? '?'}: ${f.data.reason} (${f.data.detail})`).join('; ')
  return sourceError(req, undefined, failures[0]!.data.reason, `every peer failed: ${detail}`, new AggregateError(failures))
}

/**
 * Brings `req.commit` of `req.repo` into the runner's mirror: no network when the mirror already
 * holds it; otherwise asks each peer in order, first success wins. Fetches of one repo are
 * serialized (a second waits, then finds the commit already there). Progress is reported per chunk.
 * @throws {SourceError} (retryable) naming each peer's cause when no peer could serve it.
 */
export async function fetchSource (components: FetchComponents, req: FetchRequest): Promise<FetchResult> {
  const log = components.logger.child({ component: 'git-fetch' })
  if (!isRepoId(req.repo) || !isCommitId(req.commit)) throw sourceError(req, undefined, 'refused', 'the repo or commit id is malformed')
  const started = performance.now()
  const elapsed = (): number => Math.round(performance.now() - started)
  return await components.mirrors.exclusive(req.repo, async () => {
    let gitdir: string
    try {
      gitdir = await components.mirrors.ensure(req.repo)
      if (await components.mirrors.has(req.repo, req.commit, { pinsOnly: req.pinsOnly === true })) return { bytes: 0, objects: 0, ms: elapsed(), peer: '', alreadyHad: true }
    } catch (err) {
      throw sourceError(req, undefined, 'git_failed', `the mirror is not usable: ${err instanceof Error ? err.message : String(err)}`, err)
    }
    const failures: SourceError[] = []
    for (const peer of req.peers) {
      if (req.signal?.aborted === true) break
      try {
        const got = await attempt(components, req, peer, gitdir)
        await components.mirrors.compact(req.repo).catch((err: unknown) => { log.warn({ repo: req.repo, err }, 'mirror compaction failed') })
        log.info({ repo: req.repo, commit: req.commit, peer, ...got, duration_ms: elapsed() }, 'source fetched')
        return { ...got, ms: elapsed(), peer, alreadyHad: false }
      } catch (err) {
        const failure = classify(req, peer, err)
        log.warn({ repo: req.repo, commit: req.commit, peer, reason: failure.data.reason, detail: failure.data.detail }, 'source fetch attempt failed')
        failures.push(failure)
      }
    }
    if (req.signal?.aborted === true) throw sourceError(req, undefined, 'timeout', 'the fetch was aborted', new AggregateError(failures))
    throw allFailed(req, failures)
  })
}
