/**
 * A lock per key: one holder at a time per key, waiters served first come, first served.
 * In-process only; the runner owns its directories, so no other process takes these keys.
 */

/** Keyed mutual exclusion. */
export interface KeyedLock {
  /** Waits until no one holds or awaits `key`, then holds it; call the returned function once to let go (idempotent). */
  acquire(key: string): Promise<() => void>
  /** Holds `key` at once if no one holds or awaits it; undefined otherwise. Never waits. */
  tryAcquire(key: string): (() => void) | undefined
}

/** A new, empty keyed lock. */
export function createKeyedLock (): KeyedLock {
  const tails = new Map<string, Promise<void>>()

  function enqueue (key: string): { before: Promise<void>, release: () => void } {
    const before = tails.get(key) ?? Promise.resolve()
    let resolve!: () => void
    const mine = new Promise<void>((r) => { resolve = r })
    const tail = before.then(() => mine)
    tails.set(key, tail)
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      if (tails.get(key) === tail) tails.delete(key)
      resolve()
    }
    return { before, release }
  }

  return {
    async acquire (key) {
      const { before, release } = enqueue(key)
      await before
      return release
    },
    tryAcquire (key) {
      if (tails.has(key)) return undefined
      return enqueue(key).release
    }
  }
}
