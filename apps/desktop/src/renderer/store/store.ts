/**
 * The dashboard's one store, made of slices (peers, jobs, runs, logs, settings), fed by the event
 * stream (feed.ts). Components select primitives or use `useShallow`, so a change re-renders only
 * what shows it.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import { createJobsSlice, type JobsSlice } from './jobs.ts'
import { createLogsSlice, type LogsSlice } from './logs.ts'
import { createPeersSlice, type PeersSlice } from './peers.ts'
import { createRunsSlice, type RunsSlice } from './runs.ts'
import { createSettingsSlice, type SettingsSlice } from './settings.ts'

export type DevqState = PeersSlice & JobsSlice & RunsSlice & LogsSlice & SettingsSlice

export type DevqStore = StoreApi<DevqState>

/** A new, empty store. */
export function createDevqStore (): DevqStore {
  return createStore<DevqState>()((...a) => ({
    ...createPeersSlice(...a),
    ...createJobsSlice(...a),
    ...createRunsSlice(...a),
    ...createLogsSlice(...a),
    ...createSettingsSlice(...a)
  }))
}
