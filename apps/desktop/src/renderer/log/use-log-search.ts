/**
 * The log view's search as React state: a new search per query (the previous one stops), fed each
 * new snapshot of the log, re-rendering the view after each slice of work that found something new.
 */
import { useEffect, useState } from 'react'
import type { LogBufferSnapshot } from './log-buffer.ts'
import { createLogSearch, pageScheduler, type LogSearch } from './search.ts'

/** The search now; `progress` changes whenever its results did, for memoised readers. */
export interface SearchState {
  search: LogSearch
  progress: number
}

/** Searches `buffer` for `query`; undefined for an empty query. */
export function useLogSearch (buffer: LogBufferSnapshot, query: string): SearchState | undefined {
  const [state, setState] = useState<SearchState>()
  const search = state?.search
  useEffect(() => {
    if (query === '') {
      setState(undefined)
      return
    }
    const next = createLogSearch(pageScheduler(), { query })
    let progress = 0
    let seen = -1
    next.onChange(() => {
      // Only slices that changed the count or finished the search need a render.
      const key = next.done ? -next.count - 1 : next.count
      if (key === seen) return
      seen = key
      setState({ search: next, progress: ++progress })
    })
    setState({ search: next, progress })
    return () => { next.dispose() }
  }, [query, buffer.job, buffer.attempt])
  useEffect(() => { search?.feed(buffer) }, [search, buffer])
  return state?.search.query === query ? state : undefined
}
