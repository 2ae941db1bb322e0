/**
 * The dashboard's one store, made of slices (peers, jobs, runs, logs, settings), fed by the event
 * stream (feed.ts). Components select primitives or use `useShallow`, so a change re-renders only
 * what shows it.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import { createJobsSlice } from './jobs.ts'
import { createLogsSlice } from './logs.ts'
import { createPeersSlice } from './peers.ts'
import { createRunsSlice } from './runs.ts'
import { createSettingsSlice } from './settings.ts'
import type { DevqState } from './state.ts'

export type { DevqState }

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
