/** The dashboard's frame: header, navigation, the link banner and the current view. */
import { useEffect } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { GridView } from '../views/GridView.tsx'
import { HistoryView } from '../views/HistoryView.tsx'
import { JobView } from '../views/JobView.tsx'
import { QueueView } from '../views/QueueView.tsx'
import { RunView, RunsView } from '../views/RunsView.tsx'
import { SettingsView } from '../views/SettingsView.tsx'
import { useDevq } from './context.tsx'
import { peerName } from './format.ts'
import { hrefOf, useRoute, type Route } from './router.ts'

const TABS: { route: Route, label: string }[] = [
  { route: { view: 'grid' }, label: 'Grid' },
  { route: { view: 'queue' }, label: 'Queue' },
  { route: { view: 'runs' }, label: 'Runs' },
  { route: { view: 'history' }, label: 'History' },
  { route: { view: 'settings' }, label: 'Settings' }
]

function tabOf (route: Route): Route['view'] {
  if (route.view === 'run') return 'runs'
  if (route.view === 'job') return 'runs'
  return route.view
}

/** Number keys 1-5 switch views when no field has the focus. */
function useViewKeys (): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null
      if (e.altKey || e.ctrlKey || e.metaKey || t?.closest('input, textarea, select, [contenteditable="true"]') != null) return
      const tab = TABS[Number(e.key) - 1]
      if (tab !== undefined) location.hash = hrefOf(tab.route)
    }
    window.addEventListener('keydown', onKey)
    return () => { window.removeEventListener('keydown', onKey) }
  }, [])
}

function Banner (): React.JSX.Element | null {
  const { link, problem, actionError } = useDevq(useShallow((s) => ({ link: s.link, problem: s.linkProblem, actionError: s.actionError })))
  if (link === 'live' && actionError === undefined) return null
  const text = link === 'offline'
    ? `Not connected to the node: ${problem ?? 'reconnecting'}. Reconnecting…`
    : link === 'connecting' ? 'Connecting to the node…' : link === 'signed-out' ? (problem ?? 'Signed out') : actionError
  return <div className={`banner banner-${link === 'live' ? 'error' : link}`} role={link === 'live' ? 'alert' : 'status'}>{text}</div>
}

function CurrentView ({ route }: { route: Route }): React.JSX.Element {
  switch (route.view) {
    case 'grid': return <GridView />
    case 'queue': return <QueueView />
    case 'runs': return <RunsView />
    case 'run': return <RunView run={route.run} />
    case 'job': return <JobView job={route.job} attempt={route.attempt} />
    case 'history': return <HistoryView />
    case 'settings': return <SettingsView />
  }
}

export function App (): React.JSX.Element {
  const route = useRoute()
  const { team, selfId, link } = useDevq(useShallow((s) => ({ team: s.teamName, selfId: s.selfId, link: s.link })))
  useViewKeys()
  const active = tabOf(route)
  return (
    <div className="app">
      <header className="top">
        <a className="brand" href="#/grid">DevQ</a>
        <span className="team">{team === '' ? '' : `team ${team}`}</span>
        <span className={`link link-${link}`} aria-label={`link to node: ${link}`}>{link}</span>
        {selfId !== undefined && <span className="self" title={selfId}>this peer {peerName(selfId)}</span>}
      </header>
      <nav aria-label="views">
        <ul>
          {TABS.map((t, i) => (
            <li key={t.label}>
              <a href={hrefOf(t.route)} aria-current={active === t.route.view ? 'page' : undefined} aria-keyshortcuts={String(i + 1)}>{t.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <Banner />
      <main id="main" aria-live="off">
        <CurrentView route={route} />
      </main>
    </div>
  )
}
