/** Suite `core`: ledger ingest and reopen, fold, and the simulated scheduler. */
import type { Figures } from './run.ts'
import { runLedgerBench } from './core-ledger.ts'
import { runFoldBench } from './core-fold.ts'
import { runSimBench } from './core-sim.ts'

export async function run (log: (line: string) => void): Promise<Figures> {
  const ledger = await runLedgerBench(log)
  const fold = await runFoldBench(log)
  const sim = await runSimBench(log)
  return { ...ledger, ...fold, ...sim }
}
