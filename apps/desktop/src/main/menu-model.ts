/**
 * The tray's context menu as plain data: what electron.ts turns into a Menu, and tests read.
 * Items name actions; the tray controller carries them out.
 */
import type { RunLine, ShareMode } from '../renderer/api/types.ts'
import { gridSummary, runStatusText, type TraySnapshot } from './tray-model.ts'

/** What clicking an item does. */
export type MenuAction =
  | { type: 'open', hash: string }
  | { type: 'share', mode: ShareMode }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'autostart', on: boolean }
  | { type: 'quit' }

export type MenuItem =
  | { type: 'normal', label: string, enabled: boolean, action?: MenuAction }
  | { type: 'radio', label: string, enabled: boolean, checked: boolean, group: string, action: MenuAction }
  | { type: 'checkbox', label: string, enabled: boolean, checked: boolean, action: MenuAction }
  | { type: 'separator' }

/** Everything the menu shows besides the node's views. */
export interface MenuSnapshot extends TraySnapshot {
  /** This peer's share mode; undefined while unknown. */
  shareMode: ShareMode | undefined
  /** The mode a pause put aside, to go back to on resume; undefined when not paused by the app. */
  pausedFrom: ShareMode | undefined
  autostart: boolean
}

/** How many of your builds the menu lists. */
export const LAST_BUILDS = 5

const SHARE_LABELS: Record<ShareMode, string> = {
  off: 'Off: run no jobs for others',
  idle: 'When idle: only while nobody uses this machine',
  shared: 'Shared: beside your own work',
  dedicated: 'Dedicated: as a build box'
}
export const SHARE_MODES = Object.keys(SHARE_LABELS) as ShareMode[]

const label = (text: string): MenuItem => ({ type: 'normal', label: text, enabled: false })
const separator: MenuItem = { type: 'separator' }

function gridItems (s: MenuSnapshot): MenuItem[] {
  if (s.status === undefined) return [label('The node does not answer')]
  const g = gridSummary(s.status)
  return [label(`Grid: ${g.online} online, ${g.busy} busy`), label(`Queue: ${g.queued} ${g.queued === 1 ? 'job' : 'jobs'}`)]
}

function runLabel (run: RunLine): string {
  const name = run.repoName ?? run.repo.slice(0, 8)
  const what = run.subject === undefined ? run.commit.slice(0, 8) : run.subject.slice(0, 40)
  return `${name}: ${what} (${runStatusText(run)})`
}

function buildItems (s: MenuSnapshot): MenuItem[] {
  const runs = s.myRuns.slice(0, LAST_BUILDS)
  if (runs.length === 0) return [label('Your builds: none yet')]
  return [label('Your last builds'), ...runs.map((r): MenuItem => ({ type: 'normal', label: runLabel(r), enabled: true, action: { type: 'open', hash: `#/runs/${encodeURIComponent(r.run)}` } }))]
}

function shareItems (s: MenuSnapshot): MenuItem[] {
  const online = s.status !== undefined && s.shareMode !== undefined
  const radios = SHARE_MODES.map((mode): MenuItem => ({
    type: 'radio', label: SHARE_LABELS[mode], enabled: online, checked: s.shareMode === mode, group: 'share', action: { type: 'share', mode }
  }))
  const pause: MenuItem = s.shareMode === 'off'
    ? { type: 'normal', label: s.pausedFrom === undefined ? 'Resume sharing' : `Resume sharing (${s.pausedFrom})`, enabled: online && s.pausedFrom !== undefined, action: { type: 'resume' } }
    : { type: 'normal', label: 'Pause sharing', enabled: online, action: { type: 'pause' } }
  return [label('Share this machine'), ...radios, pause]
}

/** The whole menu for one snapshot. */
export function trayMenu (s: MenuSnapshot): MenuItem[] {
  return [
    ...gridItems(s), separator,
    ...buildItems(s), separator,
    ...shareItems(s), separator,
    { type: 'normal', label: 'Open dashboard', enabled: true, action: { type: 'open', hash: '#/grid' } },
    { type: 'checkbox', label: 'Start at login', enabled: true, checked: s.autostart, action: { type: 'autostart', on: !s.autostart } },
    separator,
    { type: 'normal', label: 'Quit DevQ', enabled: true, action: { type: 'quit' } }
  ]
}

const same = (a: readonly MenuItem[], b: readonly MenuItem[]): boolean => JSON.stringify(a) === JSON.stringify(b)

/**
 * Whether the tray's menu must be set (again) to show `next` after `previous`. On Linux
 * (StatusNotifierItem/AppIndicator) a menu that was set once does not follow later changes to its
 * items, so it is set again on every change, equal or not; elsewhere only when it differs.
 */
export function menuNeedsSet (platform: NodeJS.Platform, previous: readonly MenuItem[] | undefined, next: readonly MenuItem[]): boolean {
  if (previous === undefined || platform === 'linux') return true
  return !same(previous, next)
}
