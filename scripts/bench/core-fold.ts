/** Fold bench: the time to fold 100k events (about 14k jobs' lives) from scratch and hash the state. */
import { createFold, generateSigner } from '../../packages/core/src/index.ts'
import { fakeSigner, generate } from './core-ledger.ts'

export async function runFoldBench (log: (line: string) => void, count = 100_000): Promise<{ fold_100k_ms: number }> {
  // The fold trusts what the ledger accepted, so unsigned setup events measure the same work.
  const events = await generate(Array.from({ length: 8 }, () => fakeSigner(generateSigner())), count)
  const shuffled = [...events].reverse()
  const t0 = performance.now()
  const fold = createFold()
  for (let i = 0; i < shuffled.length; i += 5_000) fold.apply(shuffled.slice(i, i + 5_000))
  const hash = fold.stateHash()
  const ms = Math.round(performance.now() - t0)
  log(`fold: ${count} events in reverse order, chunks of 5000, plus stateHash ${hash.slice(0, 12)}: ${ms} ms`)
  return { fold_100k_ms: ms }
}
