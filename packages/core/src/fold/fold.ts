import type { DecodedEvent } from '../events/envelope.ts'
import type { JobChange, JobState, TeamState } from './types.ts'

/**
 * The deterministic, order-independent fold of the event set into job and team state.
 * Not thread-safe; the ledger calls it from one queue. `apply` is idempotent per event id.
 */
export interface Fold {
  /** Adds accepted (validated, signature-checked) events in any order; duplicates are ignored. */
  apply(events: readonly DecodedEvent[]): JobChange[]
  /** Marks an author faulty from `fromSeq` on (equivocation): its bids from there are ignored. */
  markFaulty(author: string, fromSeq: number): JobChange[]
  job(id: string): JobState | undefined
  jobs(): IterableIterator<JobState>
  team(): TeamState
  /** sha256 hex over the canonical encoding of all state: equal on every peer with the same events. */
  stateHash(): string
}

export function createFold (): Fold {
  throw new Error('not implemented yet')
}
