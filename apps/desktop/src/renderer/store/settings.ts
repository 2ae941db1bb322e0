/** This peer's own settings, its team, and how the dashboard's link to the node stands. */
import type { StateCreator } from 'zustand'
import type { DevqState, SettingsSlice } from './state.ts'



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
