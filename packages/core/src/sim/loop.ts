import type { Clock } from '../ports.ts'

/** A scheduled callback of the simulated loop. */
export interface Timer {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
  cancelled: boolean
}

/**
 * A discrete-event loop on simulated time: timers run in (time, insertion) order and the clock
 * jumps between them. After each timer the real microtask queue is drained, so async code that
 * awaits only promises (no real I/O) runs to completion at the simulated instant it was started.
 */
export interface SimLoop extends Clock {
  /** Simulated ms since the start. */
  now(): number
  after(delayMs: number, fn: () => void): Timer
  every(periodMs: number, fn: () => void, offsetMs?: number): Timer
  cancel(timer: Timer): void
  /** Runs timers until `done()` holds (checked after each timer) or simulated `untilMs` passes. */
  run(untilMs: number, done?: () => boolean): Promise<void>
}

const EPOCH_MS = Date.UTC(2026, 0, 1)

const flush = async (): Promise<void> => { await new Promise<void>((resolve) => setImmediate(resolve)) }

const earlier = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A binary min-heap of timers in (time, insertion) order. */
class TimerHeap {
  private readonly items: Timer[] = []

  get size (): number {
    return this.items.length
  }

  peek (): Timer | undefined {
    return this.items[0]
  }

  push (t: Timer): void {
    const heap = this.items
    heap.push(t)
    let i = heap.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!earlier(heap[i]!, heap[p]!)) break
      ;[heap[i], heap[p]] = [heap[p]!, heap[i]!]
      i = p
    }
  }

  pop (): Timer | undefined {
    const heap = this.items
    const top = heap[0]
    const last = heap.pop()
    if (heap.length === 0 || last === undefined) return top
    heap[0] = last
    for (let i = 0; ;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && earlier(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && earlier(heap[r]!, heap[m]!)) m = r
      if (m === i) break
      ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
      i = m
    }
    return top
  }
}

export function createSimLoop (): SimLoop {
  const heap = new TimerHeap()
  let now = 0
  let seq = 0

  function after (delayMs: number, fn: () => void): Timer {
    const t: Timer = { at: now + Math.max(0, delayMs), seq: seq++, fn, cancelled: false }
    heap.push(t)
    return t
  }

  return {
    now: () => now,
    monotonicMs: () => now,
    wallMs: () => EPOCH_MS + now,
    after,
    every (periodMs, fn, offsetMs = 0) {
      const handle: Timer = { at: now, seq: seq++, fn, cancelled: false }
      const fire = (): void => {
        if (handle.cancelled) return
        fn()
        after(periodMs, fire)
      }
      after(offsetMs, fire)
      return handle
    },
    cancel (timer) { timer.cancelled = true },
    async run (untilMs, done) {
      await flush()
      while (heap.size > 0) {
        if (done?.() === true) return
        const next = heap.peek()!
        if (next.at > untilMs) break
        heap.pop()
        if (next.cancelled) continue
        now = next.at
        next.fn()
        await flush()
      }
      now = Math.max(now, untilMs)
    }
  }
}
