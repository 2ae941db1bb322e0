/**
 * Build avoidance asks whether an earlier result's artifacts can still be had: a result stands in
 * for a new job only while every one of its artifacts is held by this peer or by a live peer that
 * answers a probe for it (every live peer that is not leaving, asked at once).
 */
import { existsSync } from 'node:fs'
import type { ArtifactRef, ByteStream, Clock, JobState, Logger, ResultAvailability } from '@devq/core'
import { probeArtifact, type ArtifactStore } from '@devq/runner'

/** How long a probe's answer is trusted, ms: an artifact evicted since is noticed after this. */
export const PROBE_ANSWER_MS = 30_000
/** A probe of one peer for one artifact gives up (answers no) after this long, ms. */
export const PROBE_TIMEOUT_MS = 2_000
/** Answers kept at most (the oldest go first). */
const MAX_ANSWERS = 1024

/** What the availability check uses. */
export interface AvailabilityComponents {
  store: ArtifactStore
  /** Other peers heard within a lease. */
  live: () => string[]
  /** Opens an `artifacts` protocol stream to a peer. */
  dial: (peer: string) => Promise<ByteStream>
  clock: Clock
  logger: Logger
}

/** Options of `createResultAvailability`. */
export interface AvailabilityInit {
  /** This peer's id. */
  self: string
  answerMs?: number
  probeTimeoutMs?: number
}

function heldHere (store: ArtifactStore, digest: string): boolean {
  try {
    return existsSync(store.path(digest))
  } catch {
    return false
  }
}

/** Whether `peer` answers a probe for `ref` within `timeoutMs`; the deadline covers the dial too. */
async function probeOne (c: AvailabilityComponents, timeoutMs: number, peer: string, ref: ArtifactRef): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<false>((resolve) => { timer = setTimeout(() => { resolve(false) }, timeoutMs) })
  try {
    return await Promise.race([probeArtifact({ dial: async () => await c.dial(peer), ref, signal: AbortSignal.timeout(timeoutMs) }), deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** A peer of `peers` that holds `ref`: every one is asked at once and the first yes wins, so one silent peer does not hold up the rest. */
async function holderOf (c: AvailabilityComponents, timeoutMs: number, peers: readonly string[], ref: ArtifactRef): Promise<string | undefined> {
  return await new Promise((resolve) => {
    let left = peers.length
    if (left === 0) resolve(undefined)
    for (const peer of peers) {
      void probeOne(c, timeoutMs, peer, ref).then((ok) => {
        if (ok) resolve(peer)
        else if (--left === 0) resolve(undefined)
      })
    }
  })
}

/**
 * The node's `ResultAvailability`. `fetchable` answers at once from this peer's store or from an
 * answer younger than `answerMs`; otherwise it starts probing the live peers (one probe per result
 * at a time) and answers undefined, so the coordinator decides on a later pass.
 */
export function createResultAvailability (c: AvailabilityComponents, init: AvailabilityInit): ResultAvailability {
  const answerMs = init.answerMs ?? PROBE_ANSWER_MS
  const probeTimeoutMs = init.probeTimeoutMs ?? PROBE_TIMEOUT_MS
  // A yes names the peers that held the artifacts: it stands only while they are all still live.
  const answers = new Map<string, { ok: boolean, atMs: number, holders: string[] }>()
  const probing = new Set<string>()

  const probe = async (job: JobState, missing: ArtifactRef[]): Promise<void> => {
    let ok = true
    const holders: string[] = []
    // Only peers whose yes will be kept: live ones that are not leaving (see `fetchable`), all at once.
    const peers = c.live().filter((p) => p !== init.self)
    for (const ref of missing) {
      const holder = await holderOf(c, probeTimeoutMs, peers, ref)
      if (holder !== undefined) {
        holders.push(holder)
        continue
      }
      ok = false
      c.logger.info({ job_id: job.id, artifact: ref.name, digest: ref.digest }, 'no live peer holds an artifact of this result: it is not reused')
      break
    }
    answers.delete(job.id)
    answers.set(job.id, { ok, atMs: c.clock.monotonicMs(), holders })
    if (answers.size > MAX_ANSWERS) answers.delete(answers.keys().next().value!)
  }

  return {
    fetchable (job) {
      const artifacts = job.result?.artifacts ?? []
      const missing = artifacts.filter((a) => !heldHere(c.store, a.digest))
      if (missing.length === 0) return true
      const known = answers.get(job.id)
      const live = known?.ok === true ? new Set(c.live()) : undefined
      if (known !== undefined && c.clock.monotonicMs() - known.atMs < answerMs && known.holders.every((p) => live?.has(p) !== false)) return known.ok
      if (!probing.has(job.id)) {
        probing.add(job.id)
        void probe(job, missing)
          .catch((err: unknown) => { c.logger.warn({ err, job_id: job.id }, 'artifact probe failed') })
          .finally(() => { probing.delete(job.id) })
      }
      return undefined
    }
  }
}
