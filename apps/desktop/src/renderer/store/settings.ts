/** This peer's own settings, its team, and how the dashboard's link to the node stands. */
import type { StateCreator } from 'zustand'
import type { NodeSettings, ShareView, TeamView } from '../api/types.ts'
import type { DevqState } from './store.ts'

/** `live` while the event stream is open; `connecting` before the first one; `offline` between tries. */
export type LinkState = 'connecting' | 'live' | 'offline' | 'signed-out'

export interface SettingsSlice {
  link: LinkState
  /** Why the link is down, for the banner. */
  linkProblem: string | undefined
  share: ShareView | undefined
  settings: NodeSettings | undefined
  team: TeamView | undefined
  /** The last action's error, shown until the next action. */
  actionError: string | undefined
  linkChanged: (link: LinkState, problem?: string) => void
  shareLoaded: (share: ShareView) => void
  settingsLoaded: (settings: NodeSettings) => void
  teamLoaded: (team: TeamView) => void
  actionFailed: (message: string | undefined) => void
}

export const createSettingsSlice: StateCreator<DevqState, [], [], SettingsSlice> = (set) => ({
  link: 'connecting',
  linkProblem: undefined,
  share: undefined,
  settings: undefined,
  team: undefined,
  actionError: undefined,
  linkChanged: (link, problem) => { set({ link, linkProblem: problem }) },
  shareLoaded: (share) => { set({ share }) },
  settingsLoaded: (settings) => { set({ settings }) },
  teamLoaded: (team) => { set({ team }) },
  actionFailed: (message) => { set({ actionError: message }) }
})
