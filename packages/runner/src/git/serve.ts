/**
 * The serving side of the `git` protocol (see protocol.ts): answers one request per stream with
 * a pack of exactly `want --not haves`, streamed from `git pack-objects` with backpressure.
 * Serves only commits the ledger announced, only objects reachable from them, and never writes
 * to the repository it reads (hardened git environment, read-only commands).
 */
import fs from 'node:fs'
import { isoGit } from './iso-git.ts'
import type { ByteStream, Logger } from '@devq/core'
import { SourceError, StreamStalledError } from '../errors.ts'
import { answerError, FrameReader, noteRefusedFrame, writeFrame, writeWithin, type RefusedFrame } from '../wire.ts'
import { failureOf, hasGitBinary, runGit, spawnGit } from './exec.ts'
import { objectsBetween } from './iso.ts'
import { repoAtDir } from './read.ts'
import { DEFAULT_IDLE_MS, GIT_PROTOCOL } from './limits.ts'
import { SourceRequest } from './protocol.ts'

/** What the source server needs from the rest of the node. */
export interface SourceServerComponents {
  /**
   * Repositories that may hold `commit` of `repoId`, the developer's first (the node offers it only
   * for commits this peer announced itself), then this peer's mirror: each a work tree, a linked
   * worktree or a git dir (a bare mirror).
   */
  locate(repoId: string, commit: string): Promise<string[]>
  /** Whether the ledger knows `commit` as a commit of `repoId`. Called for the want and every have. */
  announced(repoId: string, commit: string): boolean
  logger: Logger
  refusedFrame?: RefusedFrame
}

/** Options of `createSourceServer`. */
export interface SourceServerInit {
  /** PATH in which to find git (default: this process's); without git, isomorphic-git sends whole objects. */
  gitPath?: string
  /** How long the request may take to arrive (default 30 s). */
  requestTimeoutMs?: number
}

/** A direct-stream protocol handler; never throws. */
export type StreamHandler = (stream: ByteStream, peer: string) => Promise<void>

/** Where a request will be served from. */
interface Choice {
  gitdir: string
  haves: string[]
}

const PACK_CHUNK_BYTES = 64 * 1024

function refusal (req: SourceRequest, reason: 'refused' | 'unavailable', detail: string): SourceError {
  return new SourceError(`cannot serve ${req.want} of ${req.repo}: ${detail}`, { repo: req.repo, commit: req.want, reason, detail })
}

/** Which of `oids` `gitdir` holds as commits, by one `git cat-file --batch-check` (or isomorphic reads). */
async function commitsIn (gitdir: string, oids: readonly string[], gitPath: string | undefined): Promise<Set<string>> {
  const held = new Set<string>()
  if (await hasGitBinary(gitPath)) {
    const out = await runGit(['--git-dir', gitdir, 'cat-file', '--batch-check'], { input: oids.map((o) => `${o}\n`).join(''), gitPath })
    for (const line of out.stdout.toString().split('\n')) {
      const [oid, type] = line.split(' ')
      if (oid !== undefined && type === 'commit') held.add(oid)
    }
    return held
  }
  const cache = {}
  for (const oid of oids) {
    if (await (await isoGit()).readCommit({ fs, gitdir, oid, cache }).then(() => true, () => false)) held.add(oid)
  }
  return held
}

async function choose (components: SourceServerComponents, req: SourceRequest, gitPath: string | undefined): Promise<Choice | SourceError> {
  if (!components.announced(req.repo, req.want)) return refusal(req, 'refused', 'this commit was not announced for this repo')
  const haves = [...new Set(req.haves)].filter((h) => h !== req.want && components.announced(req.repo, h))
  const candidates = await components.locate(req.repo, req.want).catch(() => [])
  for (const candidate of candidates) {
    const gitdir = (await repoAtDir(candidate))?.gitdir
    if (gitdir === undefined) continue
    const held = await commitsIn(gitdir, [req.want, ...haves], gitPath).catch(() => new Set<string>())
    if (held.has(req.want)) return { gitdir, haves: haves.filter((h) => held.has(h)) }
  }
  return refusal(req, 'unavailable', 'no repository on this peer holds this commit')
}

/** Streams `git pack-objects` output to `stream`; kills git if the stream fails or `signal` aborts. */
async function sendWithGit (stream: ByteStream, choice: Choice, req: SourceRequest, signal: AbortSignal, gitPath: string | undefined): Promise<number> {
  const args = ['--git-dir', choice.gitdir, 'pack-objects', '--revs', ...(req.thin ? ['--thin'] : []), '--delta-base-offset', '--stdout', '-q']
  const input = [req.want, ...choice.haves.map((h) => `^${h}`)].join('\n') + '\n'
  const { child } = await spawnGit(args, { input, signal, gitPath })
  let bytes = 0
  try {
    for await (const chunk of child.stdout) {
      await writeWithin(stream, chunk as Uint8Array, DEFAULT_IDLE_MS, GIT_PROTOCOL)
      bytes += (chunk as Uint8Array).length
    }
  } catch (err) {
    child.kill('SIGKILL')
    await child
    throw err
  }
  const failure = failureOf(args, await child)
  if (failure !== undefined) throw failure
  return bytes
}

/** Sends a pack of whole objects made by isomorphic-git (no git binary on this peer). */
async function sendWithIso (stream: ByteStream, choice: Choice, req: SourceRequest, signal: AbortSignal): Promise<number> {
  const cache = {}
  const { commits, trees, blobs } = await objectsBetween(choice.gitdir, req.want, choice.haves, cache)
  const { packfile } = await (await isoGit()).packObjects({ fs, gitdir: choice.gitdir, oids: [...commits, ...trees, ...blobs], cache })
  if (packfile === undefined) throw new Error('isomorphic-git made no pack')
  for (let at = 0; at < packfile.length; at += PACK_CHUNK_BYTES) {
    signal.throwIfAborted()
    await writeWithin(stream, packfile.subarray(at, at + PACK_CHUNK_BYTES), DEFAULT_IDLE_MS, GIT_PROTOCOL)
  }
  return packfile.length
}

/** Aborts `controller` when the client resets the stream (its reads throw); a clean end is fine. */
function watchClient (reader: FrameReader, controller: AbortController): void {
  void (async () => {
    for await (const _chunk of reader.rest()) { /* the client has nothing more to say; ignore */ }
  })().catch((err: unknown) => { controller.abort(err) })
}

async function readRequest (stream: ByteStream, reader: FrameReader, timeoutMs: number): Promise<SourceRequest> {
  const timer = setTimeout(() => {
    stream.abort(new StreamStalledError(`${GIT_PROTOCOL}: no request within ${timeoutMs} ms`, { protocol: GIT_PROTOCOL, idleMs: timeoutMs }))
  }, timeoutMs)
  try {
    return await reader.frame(SourceRequest)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The `git` protocol handler. Concurrent streams are independent; each runs at most one git
 * child, which is killed when the client goes away.
 */
export function createSourceServer (components: SourceServerComponents, init: SourceServerInit = {}): StreamHandler {
  const log = components.logger.child({ component: 'git-serve' })
  const timeoutMs = init.requestTimeoutMs ?? DEFAULT_IDLE_MS
  return async (stream, peer) => {
    const started = performance.now()
    const reader = new FrameReader(stream.source, GIT_PROTOCOL)
    let req: SourceRequest
    try {
      req = await readRequest(stream, reader, timeoutMs)
    } catch (err) {
      log.debug({ peer, err }, 'bad source request')
      noteRefusedFrame(err, components.refusedFrame)
      await answerError(stream, err)
      return
    }
    const controller = new AbortController()
    try {
      const useGit = await hasGitBinary(init.gitPath)
      const choice = await choose(components, req, init.gitPath)
      if (choice instanceof SourceError) {
        log.info({ peer, repo: req.repo, want: req.want, reason: choice.data.reason }, 'source request refused')
        await answerError(stream, choice)
        return
      }
      await writeFrame(stream, { ok: true })
      watchClient(reader, controller)
      const bytes = useGit
        ? await sendWithGit(stream, choice, req, controller.signal, init.gitPath)
        : await sendWithIso(stream, choice, req, controller.signal)
      await stream.end()
      log.info({ peer, repo: req.repo, want: req.want, haves: choice.haves.length, thin: req.thin, git: useGit, bytes, duration_ms: Math.round(performance.now() - started) }, 'source served')
    } catch (err) {
      log.warn({ peer, repo: req.repo, want: req.want, err }, 'source serving failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      controller.abort()
    }
  }
}
