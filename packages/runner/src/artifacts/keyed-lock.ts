/**
 * A mutex per key, in one process: tasks with the same key run one after another, tasks with
 * different keys run at once. The store locks by digest, so two writers of one content wait for
 * each other while writers of other content go on.
 */

/** Runs tasks one at a time per key. */
export interface KeyedLock {
  /** Runs `task` once every earlier task with the same key has settled; resolves or rejects as it does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T>
}

/** Creates an empty lock table; keys leave the table when their last task settles. */
export function createKeyedLock (): KeyedLock {
  const tails = new Map<string, Promise<void>>()
  return {
    async run<T> (key: string, task: () => Promise<T>): Promise<T> {
      const before = tails.get(key) ?? Promise.resolve()
      let release = (): void => {}
      const mine = new Promise<void>((resolve) => { release = resolve })
      const tail = before.then(() => mine)
      tails.set(key, tail)
      try {
        await before
        return await task()
      } finally {
        release()
        if (tails.get(key) === tail) tails.delete(key)
      }
    }
  }
}
