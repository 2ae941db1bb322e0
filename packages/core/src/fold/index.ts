export type { JobStatus, JobState, AttemptState, BidState, JobResult, TeamState, JobChange, AttemptOutcome, NeedState } from './types.ts'
export { terminalStatuses, jobStatuses } from './types.ts'
export { createFold, type Fold, type FoldInit } from './fold.ts'
export { failoverCoordinators, FAILOVER_COORDINATORS } from './authority.ts'
