/**
 * When a queued job may start: a simple, stated estimate for `devq status`, never a promise.
 *
 * Method. A job's typical duration is the median run time (started to finished, on its runner's
 * clock) of the last RECENT_ATTEMPTS finished attempts of the same repository and pipeline job,
 * else of the last RECENT_ATTEMPTS finished attempts of any job, else unknown. Every slot of a
 * live peer that is not draining is free now (its free slots) or frees when its running job is
 * expected to end (typical duration minus the time it has run; unknown once it has run longer
 * than that, or without a typical duration). Queued jobs, in queue order, each take the eligible
 * slot (a peer with every label the job needs) that frees first, no earlier than the job's retry
 * backoff, and hold it for their own typical duration. A job whose every eligible slot frees at
 * an unknown time gets no estimate ("unknown"), and neither does anything behind it on that slot.
 * Not modelled: trust rules of sensitive jobs, concurrency groups, repo caps, jobs still waiting
 * for their needs, and peers that may join or leave.
 */

/** Finished attempts a typical duration is the median of. */
export const RECENT_ATTEMPTS = 20

/** One finished attempt: where it belongs and how long it ran. */
export interface FinishedRun {
  repo: string
  pipelineJob: string
  /** Wall ms it finished (orders "recent"). */
  finishedAt: number
  durationMs: number
}

/** The typical duration of a job of `repo` and `pipelineJob`, ms, or undefined when nothing finished yet. */
export type TypicalDuration = (repo: string, pipelineJob: string) => number | undefined

function median (values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

/** Typical durations from finished attempts (see the method above). Pure. */
export function typicalDurations (runs: readonly FinishedRun[]): TypicalDuration {
  const recentFirst = [...runs].sort((a, b) => b.finishedAt - a.finishedAt)
  const byKey = new Map<string, number[]>()
  for (const r of recentFirst) {
    const key = `${r.repo}\0${r.pipelineJob}`
    const list = byKey.get(key) ?? []
    if (list.length < RECENT_ATTEMPTS) list.push(r.durationMs)
    byKey.set(key, list)
  }
  const overall = median(recentFirst.slice(0, RECENT_ATTEMPTS).map((r) => r.durationMs))
  const cache = new Map<string, number | undefined>()
  return (repo, pipelineJob) => {
    const key = `${repo}\0${pipelineJob}`
    if (!cache.has(key)) cache.set(key, median(byKey.get(key) ?? []) ?? overall)
    return cache.get(key)
  }
}

/** A live peer's slots as the estimate sees them. */
export interface SlotPeer {
  labels: readonly string[]
  /** Slots free now. */
  freeSlots: number
  /** Jobs running on it: how long each has run and its typical duration, ms. */
  running: ReadonlyArray<{ elapsedMs: number, typicalMs: number | undefined }>
}

/** A queued job, in queue order. */
export interface QueuedForEstimate {
  labels: readonly string[]
  typicalMs: number | undefined
  /** Ms from now until its retry backoff ends (0 when none). */
  notBeforeMs: number
}

interface Slot { labels: readonly string[], freeInMs: number | undefined }

function slotsOf (peers: readonly SlotPeer[]): Slot[] {
  const slots: Slot[] = []
  for (const p of peers) {
    for (let i = 0; i < p.freeSlots; i++) slots.push({ labels: p.labels, freeInMs: 0 })
    for (const r of p.running) {
      const left = r.typicalMs === undefined || r.elapsedMs > r.typicalMs ? undefined : r.typicalMs - r.elapsedMs
      slots.push({ labels: p.labels, freeInMs: left })
    }
  }
  return slots
}

/**
 * Ms from now until each queued job is expected to start, in the order given, or undefined for
 * "unknown" (see the method above). Pure.
 */
export function estimateStarts (peers: readonly SlotPeer[], queue: readonly QueuedForEstimate[]): Array<number | undefined> {
  const slots = slotsOf(peers)
  return queue.map((job) => {
    let best: Slot | undefined
    for (const slot of slots) {
      if (slot.freeInMs === undefined || !job.labels.every((l) => slot.labels.includes(l))) continue
      if (best === undefined || slot.freeInMs < best.freeInMs!) best = slot
    }
    if (best === undefined) return undefined
    const start = Math.max(best.freeInMs!, job.notBeforeMs)
    best.freeInMs = job.typicalMs === undefined ? undefined : start + job.typicalMs
    return start
  })
}
