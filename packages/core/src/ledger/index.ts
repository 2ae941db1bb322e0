export { createLedger, MAX_EVIDENCE_PER_AUTHOR } from './ledger.ts'
export { moveStoreAside, REBUILD_FLAG } from './store.ts'
export { createWorkerVerifier, type WorkerVerifier, type WorkerVerifierInit } from '../events/verifier.ts'
export type {
  AcceptedListener, Equivocation, IngestResult, Ledger, LedgerComponents, LedgerInit, LedgerStats, MissingLimits, Rejection
} from './types.ts'
