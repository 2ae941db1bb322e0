export { createLedger, MAX_EVIDENCE_PER_AUTHOR } from './ledger.ts'
export { moveStoreAside, openClassicLevel, REBUILD_FLAG, type LedgerDb, type OpenDatabase } from './store.ts'
export type {
  AcceptedListener, Equivocation, IngestResult, Ledger, LedgerComponents, LedgerInit, LedgerStats, MissingLimits, PeerKnowledge, Rejection
} from './types.ts'
export { TIP_CHARS } from './types.ts'
export { LAMPORT_MAX_STEP } from './plan.ts'
