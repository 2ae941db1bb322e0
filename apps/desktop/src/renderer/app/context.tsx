/** The client, store and feed every view reaches through React context. */
import { createContext, useContext, useEffect, useState } from 'react'
import { useStore } from 'zustand'
import type { DevqClient } from '../api/client.ts'
import type { Feed } from '../store/feed.ts'
import type { DevqState, DevqStore } from '../store/store.ts'

export interface Devq {
  client: DevqClient
  store: DevqStore
  feed: Feed
}

export const DevqContext = createContext<Devq | undefined>(undefined)

/** The dashboard's client, store and feed. */
export function useDevqContext (): Devq {
  const d = useContext(DevqContext)
  if (d === undefined) throw new Error('useDevqContext outside <DevqContext>')
  return d
}

/** Selects from the store; return primitives, or wrap the selector in `useShallow`. */
export function useDevq<T> (selector: (s: DevqState) => T): T {
  return useStore(useDevqContext().store, selector)
}

/** Runs an action against the node, reporting its failure in the banner. */
export function useAction (): (what: string, act: () => Promise<unknown>) => Promise<void> {
  const { store } = useDevqContext()
  return async (what, act) => {
    store.getState().actionFailed(undefined)
    try {
      await act()
    } catch (err) {
      store.getState().actionFailed(`${what} failed: ${(err as Error).message}`)
    }
  }
}

/** This browser's wall clock, updated every `everyMs`: for times that count on between updates. */
export function useNow (everyMs = 1000): number {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    const t = setInterval(() => { setNow(Date.now()) }, everyMs)
    return () => { clearInterval(t) }
  }, [everyMs])
  return now
}
