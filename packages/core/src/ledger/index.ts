export { createLedger, MAX_EVIDENCE_PER_AUTHOR } from './ledger.ts'
export { moveStoreAside, openClassicLevel, REBUILD_FLAG, type LedgerDb, type OpenDatabase } from './store.ts'
export type {
  AcceptedListener, Equivocation, IngestResult, Ledger, LedgerComponents, LedgerInit, LedgerStats, MissingLimits, Rejection
} from './types.ts'
