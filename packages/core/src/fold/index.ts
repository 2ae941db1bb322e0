export type { JobStatus, JobState, AttemptState, BidState, JobResult, TeamState, JobChange, AttemptOutcome } from './types.ts'
export { terminalStatuses } from './types.ts'
export { createFold, type Fold } from './fold.ts'
