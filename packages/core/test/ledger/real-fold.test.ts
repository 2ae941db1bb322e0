import { describe, expect, it } from 'vitest'
import {
  createFold, createInlineVerifier, createLedger, generateSigner, silentLogger, systemClock, type Fold, type JobStatus, type Ledger
} from '../../src/index.ts'
import { announceBody, bidBody, useTempLedgerPath } from './helpers.ts'

const STATUSES: JobStatus[] = ['queued', 'awarded', 'running', 'succeeded', 'failed', 'cancelled', 'superseded', 'cached']

async function open (path: string, fold: Fold): Promise<Ledger> {
  const ledger = createLedger({ fold, verifier: createInlineVerifier(), clock: systemClock, logger: silentLogger }, { path })
  await ledger.open()
  return ledger
}

async function fromIndex (ledger: Ledger): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const status of STATUSES) {
    const ids = await ledger.jobsByState(status)
    if (ids.length > 0) out[status] = ids
  }
  return out
}

function fromFold (fold: Fold): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const job of fold.jobs()) (out[job.status] ??= []).push(job.id)
  for (const ids of Object.values(out)) ids.sort()
  return out
}

describe('ledger with the real fold', () => {
  const dbPath = useTempLedgerPath()

  it('keeps the status index equal to the fold, and reopen rebuilds the same state', async () => {
    const path = dbPath()
    const fold = createFold()
    const ledger = await open(path, fold)
    const origin = generateSigner()
    const runner = generateSigner()
    const jobs = []
    for (let i = 0; i < 3; i++) jobs.push(await ledger.append(origin, 'job.announced', announceBody(i)))
    await ledger.append(runner, 'job.bid', bidBody(jobs[0]!.id))
    await ledger.append(origin, 'job.awarded', { job: jobs[0]!.id, attempt: 1, runner: runner.peerId })
    await ledger.append(runner, 'job.started', { job: jobs[0]!.id, attempt: 1 })
    await ledger.append(origin, 'job.cancel_requested', { job: jobs[1]!.id })
    expect(await fromIndex(ledger)).toEqual(fromFold(fold))
    const hash = fold.stateHash()
    await ledger.close()

    const rebuilt = createFold()
    const again = await open(path, rebuilt)
    expect(rebuilt.stateHash()).toBe(hash)
    expect(await fromIndex(again)).toEqual(fromFold(rebuilt))
    await again.close()
  })
})
