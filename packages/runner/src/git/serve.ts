/**
 * The serving side of the `git` protocol (see protocol.ts): answers one request per stream with
 * a pack of exactly `want --not haves`, streamed from `git pack-objects` with backpressure.
 * Serves only commits the ledger announced, only objects reachable from them, and never writes
 * to the repository it reads (hardened git environment, read-only commands). When every have is
 * a commit an earlier pack from the same repository was made against, no `git cat-file` checks
 * them first: the pack's first bytes show the source is good, and the answer waits for them.
 */
import fs from 'node:fs'
import { isoGit } from './iso-git.ts'
import type { ByteStream, Logger } from '@devq/core'
import { SourceError, StreamStalledError } from '../errors.ts'
import { answerError, FrameReader, noteRefusedFrame, writeFrame, writeWithin, type RefusedFrame } from '../wire.ts'
import { failureOf, hasGitBinary, runGit, spawnGit } from './exec.ts'
import { createHeldCommits, type HeldCommits } from './held-commits.ts'
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
  /** Whether `git cat-file` showed the want and haves to be there (else only earlier packs did). */
  checked: boolean
}

/** A source that made its first bytes, so the answer can say ok: `send` streams the rest. */
interface ReadyPack {
  send(stream: ByteStream): Promise<number>
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

/** Where to serve `req` from; with `known`, the first candidate it knows every have of is taken unchecked. */
async function choose (components: SourceServerComponents, req: SourceRequest, gitPath: string | undefined, known?: HeldCommits): Promise<Choice | SourceError> {
  if (!components.announced(req.repo, req.want)) return refusal(req, 'refused', 'this commit was not announced for this repo')
  const haves = [...new Set(req.haves)].filter((h) => h !== req.want && components.announced(req.repo, h))
  const candidates = await components.locate(req.repo, req.want).catch(() => [])
  for (const candidate of candidates) {
    const gitdir = (await repoAtDir(candidate))?.gitdir
    if (gitdir === undefined) continue
    if (known?.hasAll(gitdir, haves) === true) return { gitdir, haves, checked: false }
    const held = await commitsIn(gitdir, [req.want, ...haves], gitPath).catch(() => new Set<string>())
    if (held.has(req.want)) return { gitdir, haves: haves.filter((h) => held.has(h)), checked: true }
  }
  return refusal(req, 'unavailable', 'no repository on this peer holds this commit')
}

/**
 * Starts `git pack-objects` for `choice` and waits for its first bytes; a git that ends without
 * any (a want or have the git dir does not hold) comes back as its error. The pack then streams to
 * a stream with backpressure; git is killed if the stream fails or `signal` aborts.
 */
async function openGitPack (choice: Choice, req: SourceRequest, signal: AbortSignal, gitPath: string | undefined): Promise<ReadyPack | Error> {
  const args = ['--git-dir', choice.gitdir, 'pack-objects', '--revs', ...(req.thin ? ['--thin'] : []), '--delta-base-offset', '--stdout', '-q']
  // Peeled: unchecked, a want could be a tree or blob the ledger was told was a commit, and git would pack it.
  const input = [`${req.want}^{commit}`, ...choice.haves.map((h) => `^${h}`)].join('\n') + '\n'
  const { child } = await spawnGit(args, { input, signal, gitPath })
  const chunks = (child.stdout as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  const first = await chunks.next().catch((err: unknown) => ({ done: true as const, value: err }))
  if (first.done === true) return failureOf(args, await child) ?? new Error(`${args.slice(2, 4).join(' ')} made no pack`)
  return {
    async send (stream) {
      let bytes = 0
      try {
        for (let next: IteratorResult<Uint8Array> = first; next.done !== true; next = await chunks.next()) {
          await writeWithin(stream, next.value, DEFAULT_IDLE_MS, GIT_PROTOCOL)
          bytes += next.value.length
        }
      } catch (err) {
        child.kill('SIGKILL')
        // Left unread, git's stdout would keep the child from settling.
        await chunks.return?.()
        await child
        throw err
      }
      const failure = failureOf(args, await child)
      if (failure !== undefined) throw failure
      return bytes
    }
  }
}

/**
 * The pack for `req`, its first bytes made. A choice taken on what earlier packs showed is checked
 * after all when git cannot pack it (the commit left that repository, say), and `known` forgets
 * that git dir; a pack sent in full teaches `known` its want and haves.
 */
async function readyGitPack (components: SourceServerComponents, known: HeldCommits, req: SourceRequest, signal: AbortSignal, gitPath: string | undefined): Promise<ReadyPack | SourceError> {
  let choice = await choose(components, req, gitPath, known)
  if (choice instanceof SourceError) return choice
  let pack = await openGitPack(choice, req, signal, gitPath)
  if (pack instanceof Error && !choice.checked && !signal.aborted) {
    known.forget(choice.gitdir)
    choice = await choose(components, req, gitPath)
    if (choice instanceof SourceError) return choice
    pack = await openGitPack(choice, req, signal, gitPath)
  }
  if (pack instanceof Error) throw pack
  const { gitdir, haves } = choice
  const opened = pack
  return {
    async send (stream) {
      const bytes = await opened.send(stream)
      known.add(gitdir, [req.want, ...haves])
      return bytes
    }
  }
}

/** The pack of whole objects isomorphic-git makes (no git binary on this peer); made when sent. */
async function readyIsoPack (components: SourceServerComponents, req: SourceRequest, signal: AbortSignal, gitPath: string | undefined): Promise<ReadyPack | SourceError> {
  const choice = await choose(components, req, gitPath)
  if (choice instanceof SourceError) return choice
  return { send: async (stream) => await sendWithIso(stream, choice, req, signal) }
}

/** Sends a pack of whole objects made by isomorphic-git. */
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
  const known = createHeldCommits()
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
      watchClient(reader, controller)
      const useGit = await hasGitBinary(init.gitPath)
      const pack = useGit
        ? await readyGitPack(components, known, req, controller.signal, init.gitPath)
        : await readyIsoPack(components, req, controller.signal, init.gitPath)
      if (pack instanceof SourceError) {
        log.info({ peer, repo: req.repo, want: req.want, reason: pack.data.reason }, 'source request refused')
        await answerError(stream, pack)
        return
      }
      await writeFrame(stream, { ok: true })
      const bytes = await pack.send(stream)
      await stream.end()
      log.info({ peer, repo: req.repo, want: req.want, haves: req.haves.length, thin: req.thin, git: useGit, bytes, duration_ms: Math.round(performance.now() - started) }, 'source served')
    } catch (err) {
      log.warn({ peer, repo: req.repo, want: req.want, err }, 'source serving failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      controller.abort()
    }
  }
}
