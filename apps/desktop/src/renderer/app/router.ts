/** Hash routes (`#/jobs/<id>`): the node serves one page, and a route is a link anyone can paste. */
import { useSyncExternalStore } from 'react'

export type Route =
  | { view: 'grid' }
  | { view: 'queue' }
  | { view: 'runs' }
  | { view: 'run', run: string }
  | { view: 'job', job: string, attempt?: number }
  | { view: 'history' }
  | { view: 'settings' }

/** The route a hash names; anything unknown is the grid. */
export function parseRoute (hash: string): Route {
  const [view, id, attempt] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  if (view === 'queue' || view === 'runs' || view === 'history' || view === 'settings') {
    if (view === 'runs' && id !== undefined && id !== '') return { view: 'run', run: id }
    return { view }
  }
  if (view === 'jobs' && id !== undefined && id !== '') {
    const n = Number(attempt)
    return Number.isInteger(n) && n > 0 ? { view: 'job', job: id, attempt: n } : { view: 'job', job: id }
  }
  return { view: 'grid' }
}

/** The hash of a route. */
export function hrefOf (route: Route): string {
  switch (route.view) {
    case 'run': return `#/runs/${encodeURIComponent(route.run)}`
    case 'job': return `#/jobs/${encodeURIComponent(route.job)}${route.attempt === undefined ? '' : `/${route.attempt}`}`
    default: return `#/${route.view}`
  }
}

const subscribe = (onChange: () => void): () => void => {
  window.addEventListener('hashchange', onChange)
  return () => { window.removeEventListener('hashchange', onChange) }
}

/** The current route, re-rendering on every hash change. */
export function useRoute (): Route {
  return parseRoute(useSyncExternalStore(subscribe, () => location.hash))
}
