/**
 * The queue between the webhook and git: a flood of pushes never forks more than `concurrency`
 * fetches, never holds more than `maxPending` waiting ones, and a push to a branch that already
 * waits replaces the waiting one (only the newest head of a branch is worth fetching). Items of one
 * `lane` (one mirror) run one at a time, so two fetches never write to one repository at once.
 */

/** One unit of work: `key` names what a newer item replaces (repo and branch), `lane` what it writes to. */
export interface QueueItem {
  key: string
  lane: string
}

/** What enqueueing did. */
export type Enqueued<T> =
  | { queued: true, replaced?: T }
  | { queued: false }

/** A bounded, coalescing work queue. Not reentrant-safe across processes; one per node. */
export interface CoalescingQueue<T extends QueueItem> {
  /**
   * Queues `item`. A waiting item with the same key is dropped and returned as `replaced`; with
   * `maxPending` other keys waiting (or once closed) nothing is queued.
   */
  push(item: T): Enqueued<T>
  /** Items waiting and running now. */
  size(): { pending: number, running: number }
  /** Resolves once nothing waits or runs. */
  idle(): Promise<void>
  /** Takes no more; drops what waits (returned), aborts what runs, and waits for it. Idempotent. */
  close(): Promise<T[]>
}

/** How the queue works its items. */
export interface QueueComponents<T> {
  /** Works one item; aborted on close. Its failures are its own: a rejection is only passed to `failed`. */
  work(item: T, signal: AbortSignal): Promise<void>
  failed(item: T, err: unknown): void
}

export interface QueueInit {
  /** Items worked at once (at least 1). */
  concurrency: number
  /** Most distinct keys waiting. */
  maxPending: number
}

/** Takes the first waiting item whose lane is free, in the order they were first queued. */
function takeNext<T extends QueueItem> (pending: Map<string, T>, busyLanes: ReadonlySet<string>): T | undefined {
  for (const [key, item] of pending) {
    if (busyLanes.has(item.lane)) continue
    pending.delete(key)
    return item
  }
  return undefined
}

/** Creates the queue; it starts working items as soon as they are pushed. */
export function createCoalescingQueue<T extends QueueItem> (components: QueueComponents<T>, init: QueueInit): CoalescingQueue<T> {
  const pending = new Map<string, T>()
  const busyLanes = new Set<string>()
  const running = new Set<Promise<void>>()
  const stop = new AbortController()
  let waiters: (() => void)[] = []
  let closed = false

  const settleWaiters = (): void => {
    if (pending.size > 0 || running.size > 0) return
    for (const wake of waiters.splice(0)) wake()
  }
  const pump = (): void => {
    while (!closed && running.size < Math.max(1, init.concurrency)) {
      const item = takeNext(pending, busyLanes)
      if (item === undefined) break
      busyLanes.add(item.lane)
      const task: Promise<void> = components.work(item, stop.signal)
        .catch((err: unknown) => { components.failed(item, err) })
        .finally(() => {
          running.delete(task)
          busyLanes.delete(item.lane)
          pump()
          settleWaiters()
        })
      running.add(task)
    }
  }
  return {
    push (item) {
      if (closed) return { queued: false }
      const replaced = pending.get(item.key)
      if (replaced === undefined && pending.size >= init.maxPending) return { queued: false }
      // A replacement keeps the place in line of the push it replaces.
      pending.set(item.key, item)
      pump()
      return replaced === undefined ? { queued: true } : { queued: true, replaced }
    },
    size: () => ({ pending: pending.size, running: running.size }),
    async idle () {
      if (pending.size === 0 && running.size === 0) return
      await new Promise<void>((resolve) => { waiters.push(resolve) })
    },
    async close () {
      closed = true
      const dropped = [...pending.values()]
      pending.clear()
      stop.abort()
      await Promise.all([...running])
      settleWaiters()
      waiters = []
      return dropped
    }
  }
}
